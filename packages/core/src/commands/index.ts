/**
 * Every command constructor, by group. `RedisCluster` derives one method per export of this module,
 * so export constructors only (types are fine, they vanish at runtime).
 *
 * @since 0.1.0
 */
export * from "./bitmaps.js"
export * from "./cluster.js"
export * from "./connection.js"
export * from "./geo.js"
export * from "./hashes.js"
export * from "./hyperloglog.js"
export * from "./keys.js"
export * from "./lists.js"
export * from "./pubsub.js"
export * from "./raw.js"
export * from "./scripting.js"
export * from "./server.js"
export * from "./sets.js"
export * from "./sortedsets.js"
export * from "./streams.js"
export * from "./strings.js"
export * from "./transactions.js"
