/**
 * `@keyslot/test-utils`: real `redis-server` processes (standalone and cluster) for tests, demos
 * and benchmarks, with fault injection.
 *
 * @since 0.1.0
 */

/**
 * One standalone `redis-server`.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RedisServer from "./RedisServer.js"

/**
 * A real Redis Cluster with fault helpers.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RedisClusterFixture from "./RedisClusterFixture.js"

/**
 * An in-memory, scripted Redis Cluster behind a `Connector`: redirects, transient errors, dropped
 * and stalled connections on demand, without `redis-server`.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ScriptedCluster from "./ScriptedCluster.js"

/**
 * A fault-injecting TCP proxy (latency, bandwidth, reset, blackhole, half-open), one per node,
 * placed between a client and a cluster through `hostPortRemap`.
 *
 * @since 0.1.0
 * @category modules
 */
export * as ChaosProxy from "./ChaosProxy.js"
