/**
 * @keyslot/core: the platform-independent Redis Cluster client.
 *
 * @since 0.1.0
 */

/** Options of a cluster client, validation, `fromUrl`. */
export * as ClusterConfig from "./ClusterConfig.js"
/** The tagged error family. */
export * as ClusterError from "./ClusterError.js"
/** `Command<A>` values, one constructor per Redis command. */
export * as Command from "./Command.js"
/** The service that opens byte streams to nodes. */
export * as Connector from "./Connector.js"
/** One multiplexed connection to one node. */
export * as NodeConnection from "./NodeConnection.js"
/** Pub/sub as Streams: classic, pattern and sharded subscriptions that follow the cluster. */
export * as PubSub from "./PubSub.js"
/** The cluster client service. */
export * as RedisCluster from "./RedisCluster.js"
/** RESP2/RESP3 value model, decoder and encoder. */
export * as Resp from "./Resp.js"
/** Lua scripts as values: source + SHA1, EVALSHA with the EVAL fallback. */
export * as Script from "./Script.js"
/** The retry Schedules. */
export * as RetryPolicy from "./RetryPolicy.js"
/** Command → node. */
export * as Router from "./Router.js"
/** Key → slot. */
export * as Slot from "./Slot.js"
/** The `ClusterTopology` service. */
export * as Topology from "./Topology.js"
