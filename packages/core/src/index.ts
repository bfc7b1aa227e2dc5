/**
 * @keyslot/core: the socket-free Redis Cluster client (sockets come from a `Connector`; it uses Node's `Buffer`, see the README).
 *
 * @since 0.1.0
 */

/**
 * Options of a cluster client, validation, `fromUrl`.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ClusterConfig from "./ClusterConfig.js"
/**
 * The tagged error family.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ClusterError from "./ClusterError.js"
/**
 * `Command<A>` values, one constructor per Redis command.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Command from "./Command.js"
/**
 * The service that opens byte streams to nodes.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Connector from "./Connector.js"
/**
 * One multiplexed connection to one node.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeConnection from "./NodeConnection.js"
/**
 * Pub/sub as Streams: classic, pattern and sharded subscriptions that follow the cluster.
 *
 * @since 0.1.0
 * @category modules
 */
export * as PubSub from "./PubSub.js"
/**
 * The cluster client service.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RedisCluster from "./RedisCluster.js"
/**
 * RESP2/RESP3 value model, decoder and encoder.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Resp from "./Resp.js"
/**
 * Lua scripts as values: source + SHA1, EVALSHA with the EVAL fallback.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Script from "./Script.js"
/**
 * The retry Schedules.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RetryPolicy from "./RetryPolicy.js"
/**
 * Command → node.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Router from "./Router.js"
/**
 * Key → slot.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Slot from "./Slot.js"
/**
 * The `ClusterTopology` service.
 *
 * @since 0.1.0
 * @category modules
 */
export * as Topology from "./Topology.js"
