/**
 * @keyslot/node: Node.js sockets and the ready-made layers for @keyslot/core.
 *
 * @since 0.1.0
 */

/** TCP/TLS `Connector` on Node.js sockets. */
export * as NodeConnector from "./NodeConnector.js"
/** The ready-made cluster client layers. */
export * as NodeRedisCluster from "./NodeRedisCluster.js"
