/**
 * The full keyslot stack on Node.js, ready to provide: `RedisCluster` and `ClusterTopology` over
 * Node TCP/TLS sockets.
 *
 * @since 0.1.0
 */
import type { ClusterError, Topology } from "@keyslot/core"
import { RedisCluster } from "@keyslot/core"
import type { Config } from "effect"
import { Effect, Layer } from "effect"
import * as NodeConnector from "./NodeConnector.js"

/**
 * `RedisCluster.layer` with Node sockets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: RedisCluster.RedisClusterConfig
): Layer.Layer<RedisCluster.RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError> =>
  RedisCluster.layer(config).pipe(Layer.provide(NodeConnector.layer))

/**
 * `RedisCluster.layerConfig` with Node sockets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Wrap<RedisCluster.RedisClusterConfig>
): Layer.Layer<RedisCluster.RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError | Config.ConfigError> =>
  RedisCluster.layerConfig(config).pipe(Layer.provide(NodeConnector.layer))

/**
 * A layer from a `redis://` / `rediss://` URL (options in the query string), with Node sockets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromUrl = (
  url: string,
  overrides?: Partial<RedisCluster.RedisClusterConfig>
): Layer.Layer<RedisCluster.RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError> =>
  Layer.unwrap(Effect.map(RedisCluster.fromUrl(url, overrides), layer))
