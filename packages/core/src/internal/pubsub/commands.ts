/**
 * The commands and map keys of each kind of subscription, shared by the connection that sends them,
 * the hub that keys its subscriptions by them and the coordinator that names them in events.
 *
 * @internal
 */
import type { Kind } from "../../PubSub.js"

/**
 * The command that subscribes to a kind.
 *
 * @since 0.1.0
 * @category constants
 */
export const SUBSCRIBE: Record<Kind, string> = { channel: "SUBSCRIBE", pattern: "PSUBSCRIBE", shard: "SSUBSCRIBE" }

/**
 * The command that unsubscribes from a kind.
 *
 * @since 0.1.0
 * @category constants
 */
export const UNSUBSCRIBE: Record<Kind, string> = { channel: "UNSUBSCRIBE", pattern: "PUNSUBSCRIBE", shard: "SUNSUBSCRIBE" }

/**
 * Prefixed to a name in map keys: a channel and a pattern (or sharded channel) may share a name.
 *
 * @since 0.1.0
 * @category constants
 */
export const PREFIX: Record<Kind, string> = { channel: "c:", pattern: "p:", shard: "s:" }

/**
 * Names per command, so no command grows past a sane size.
 *
 * @since 0.1.0
 * @category constants
 */
export const BATCH = 500
