/**
 * The `ClusterTopology` service: the current slot map and nodes, refreshed adaptively (MOVED,
 * unknown nodes, uncovered slots, lost connections), deduplicated (one refresh in flight),
 * rate-limited, and periodically; `changes` streams every new map. The service is read-only: the
 * engine's mutators (redirects, migrating slots) live in `internal/engine/topology`.
 *
 * @since 0.1.0
 */
import { Context } from "effect"
import type { Effect, Stream } from "effect"
import type * as ClusterError from "./ClusterError.js"
import type { Endpoint } from "./Connector.js"

/**
 * Health of a node as its shard reports it. Only `online` replicas serve reads.
 *
 * @since 0.1.0
 * @category models
 */
export type NodeHealth = "online" | "loading" | "failed"

/**
 * A node of the cluster.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterNode extends Endpoint {
  /** The node id (40 hex characters), or the address when unknown (after a MOVED to a new node). */
  readonly id: string
  /** `host:port`. */
  readonly address: string
  readonly role: "master" | "replica"
  /** Only `online` replicas serve reads. */
  readonly health: NodeHealth
  readonly hostname?: string | undefined
}

/**
 * A master, its replicas, the slots it serves.
 *
 * @since 0.1.0
 * @category models
 */
export interface Shard {
  readonly master: ClusterNode
  readonly replicas: ReadonlyArray<ClusterNode>
  /** Replicas healthy enough to serve reads. */
  readonly readReplicas: ReadonlyArray<ClusterNode>
  /** Inclusive slot ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>
}

/**
 * One version of the cluster's slot map.
 *
 * @since 0.1.0
 * @category models
 */
export interface TopologySnapshot {
  /** Increases with every refresh and every MOVED patch. */
  readonly version: number
  /** Slot → shard, a plain 16384-entry array: routing is one lookup. `undefined` = not covered. */
  readonly slots: ReadonlyArray<Shard | undefined>
  readonly shards: ReadonlyArray<Shard>
  /** Every known node by address. */
  readonly nodes: ReadonlyMap<string, ClusterNode>
  /** Round-trip times in milliseconds measured at the last refresh (for `readFrom: "nearest"`). */
  readonly latency: ReadonlyMap<string, number>
  /** Slots no node serves. */
  readonly uncovered: number
}

/**
 * Why a refresh was requested (for metrics and logs).
 *
 * @since 0.1.0
 * @category models
 */
export type RefreshReason = "startup" | "moved" | "ask-unknown-node" | "uncovered-slot" | "connection-lost" | "cluster-down" | "readonly" | "timeout" | "periodic" | "manual"

/**
 * The service.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterTopologyService {
  /** The current map, synchronously: this is what routing reads. */
  readonly current: () => TopologySnapshot
  /** A refresh (joining the one in flight, or starting one no sooner than the rate limit allows). */
  readonly refresh: (reason?: RefreshReason) => Effect.Effect<TopologySnapshot, ClusterError.RedisClusterError>
  /** The current map, then every new one. */
  readonly changes: Stream.Stream<TopologySnapshot>
  /** How many refreshes completed (successful or not). */
  readonly refreshCount: () => number
}

/**
 * The `ClusterTopology` tag.
 *
 * @since 0.1.0
 * @category services
 */
export class ClusterTopology extends Context.Service<ClusterTopology, ClusterTopologyService>()("@keyslot/core/ClusterTopology") {}

