/**
 * @keyslot/node: Node.js sockets and the ready-made layers for @keyslot/core.
 *
 * @since 0.1.0
 */

/**
 * TCP/TLS `Connector` on Node.js sockets.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeConnector from "./NodeConnector.js"
/**
 * The ready-made cluster client layers.
 *
 * @since 0.1.0
 * @category modules
 */
export * as NodeRedisCluster from "./NodeRedisCluster.js"
