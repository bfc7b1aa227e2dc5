/**
 * Every command constructor, by group. `RedisCluster` derives one method per export of this module.
 *
 * @since 0.1.0
 */
export * from "./core.js"
