/**
 * Command constructors: pub/sub (`PUBLISH`, `SPUBLISH` and the `PUBSUB ...` introspection).
 *
 * A cluster node only knows its own subscribers, so the introspection commands ask every node
 * (replicas included: clients subscribe there too) and merge: channels unioned, counts summed.
 * Subscribing is a `Stream` (`redis.subscribe(...)`), not a command: the `subscribe`-family
 * constructors here fail with `UnsupportedCommandError` saying so.
 *
 * @since 0.1.0
 */
import type { Arg } from "../internal/command/command.js"
import { CHANNEL, type Command, fanout, key, keyless, merge, type NodeReply, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Decoders and merges (module-private)

/** `[channel, count, ...]` (or a map) as pairs in channel order. */
const counts = R.pairList("a [channel, count] pair", R.pairOf(R.string, R.integer))

/** Counts summed per channel over every node. */
const sumPerChannel = (replies: ReadonlyArray<NodeReply<ReadonlyArray<readonly [string, number]>>>): Record<string, number> => {
  const out = R.newRecord<number>()
  for (const r of replies) {
    for (const [channel, n] of r.value) out[channel] = (out[channel] ?? 0) + n
  }
  return out
}

const union = (replies: ReadonlyArray<NodeReply<ReadonlyArray<string>>>): ReadonlyArray<string> => merge.concat(replies, true)

const withPattern = (head: ReadonlyArray<string>, pattern: string | undefined): Array<Resp.RespArg> =>
  pattern === undefined ? [...head] : [...head, pattern]

const useStream = (api: string) =>
  `subscriptions are Streams that follow failovers and slot moves: use ${api} instead`

// ---------------------------------------------------------------------------------------------
// Publishing

/**
 * `PUBLISH channel message`: how many clients received it (on the node that served it). Any node
 * accepts it; it is sent to the channel's slot owner so that one channel's messages reach
 * subscribers in the order they were published. The channel is not a key: a transaction may
 * publish to any channel.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const publish = (channel: Arg, message: Arg): Command<number> =>
  keyless("PUBLISH", ["PUBLISH", channel, message], CHANNEL, R.integer)

/**
 * `SPUBLISH shardchannel message`: routed to the channel's slot owner.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const spublish = (channel: Arg, message: Arg): Command<number> =>
  key("SPUBLISH", ["SPUBLISH", channel, message], [channel], 0, R.integer)

// ---------------------------------------------------------------------------------------------
// Introspection

/**
 * `PUBSUB CHANNELS [pattern]` on every node: the channels with at least one subscriber anywhere.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubChannels = (pattern?: string) =>
  fanout("PUBSUB CHANNELS", withPattern(["PUBSUB", "CHANNELS"], pattern), 0, "nodes", R.strings, union)

/**
 * `PUBSUB NUMPAT` on every node: the pattern subscriptions, summed over the nodes.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubNumpat = () => fanout("PUBSUB NUMPAT", ["PUBSUB", "NUMPAT"], 0, "nodes", R.integer, merge.sum)

/**
 * `PUBSUB NUMSUB channel...` on every node: each channel's subscribers, summed over the nodes.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubNumsub = (...channels: ReadonlyArray<Arg>) =>
  fanout("PUBSUB NUMSUB", ["PUBSUB", "NUMSUB", ...channels], 0, "nodes", counts, sumPerChannel)

/**
 * `PUBSUB SHARDCHANNELS [pattern]` on every node: the shard channels with at least one subscriber.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubShardchannels = (pattern?: string) =>
  fanout("PUBSUB SHARDCHANNELS", withPattern(["PUBSUB", "SHARDCHANNELS"], pattern), 0, "nodes", R.strings, union)

/**
 * `PUBSUB SHARDNUMSUB channel...` on every node: each shard channel's subscribers, summed.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubShardnumsub = (...channels: ReadonlyArray<Arg>) =>
  fanout("PUBSUB SHARDNUMSUB", ["PUBSUB", "SHARDNUMSUB", ...channels], 0, "nodes", counts, sumPerChannel)

/**
 * `PUBSUB HELP`: the help lines.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const pubsubHelp = (): Command<ReadonlyArray<string>> => keyless("PUBSUB HELP", ["PUBSUB", "HELP"], 0, R.strings)

// ---------------------------------------------------------------------------------------------
// Subscriptions: Streams, not commands

/**
 * `SUBSCRIBE`: unsupported as a command; use the Stream `redis.subscribe(...channels)`.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const subscribe = (...channels: ReadonlyArray<Arg>): Command<never> =>
  unsupported("SUBSCRIBE", ["SUBSCRIBE", ...channels], useStream("redis.subscribe(...channels)"))

/**
 * `PSUBSCRIBE`: unsupported as a command; use the Stream `redis.psubscribe(...patterns)`.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const psubscribe = (...patterns: ReadonlyArray<Arg>): Command<never> =>
  unsupported("PSUBSCRIBE", ["PSUBSCRIBE", ...patterns], useStream("redis.psubscribe(...patterns)"))

/**
 * `SSUBSCRIBE`: unsupported as a command; use the Stream `redis.ssubscribe(...channels)`.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const ssubscribe = (...channels: ReadonlyArray<Arg>): Command<never> =>
  unsupported("SSUBSCRIBE", ["SSUBSCRIBE", ...channels], useStream("redis.ssubscribe(...channels)"))

/**
 * `UNSUBSCRIBE`: unsupported; a `redis.subscribe(...)` Stream unsubscribes when it ends.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const unsubscribe = (...channels: ReadonlyArray<Arg>): Command<never> =>
  unsupported("UNSUBSCRIBE", ["UNSUBSCRIBE", ...channels], useStream("redis.subscribe(...) (interrupting the Stream unsubscribes)"))

/**
 * `PUNSUBSCRIBE`: unsupported; a `redis.psubscribe(...)` Stream unsubscribes when it ends.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const punsubscribe = (...patterns: ReadonlyArray<Arg>): Command<never> =>
  unsupported("PUNSUBSCRIBE", ["PUNSUBSCRIBE", ...patterns], useStream("redis.psubscribe(...) (interrupting the Stream unsubscribes)"))

/**
 * `SUNSUBSCRIBE`: unsupported; a `redis.ssubscribe(...)` Stream unsubscribes when it ends.
 *
 * @since 0.1.0
 * @category pubsub
 */
export const sunsubscribe = (...channels: ReadonlyArray<Arg>): Command<never> =>
  unsupported("SUNSUBSCRIBE", ["SUNSUBSCRIBE", ...channels], useStream("redis.ssubscribe(...) (interrupting the Stream unsubscribes)"))
