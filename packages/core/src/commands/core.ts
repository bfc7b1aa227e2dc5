/**
 * The first command constructors: strings, keys, hashes, connection, cluster, pub/sub.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { BYTES, CHANNEL, Command, entriesOf, expireFlags, expiryArgs, key, keyless, pick, READONLY, sumSplit } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Options of `SET`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SetOptions {
  /** Expire after this many seconds. */
  readonly ex?: number
  /** Expire after this many milliseconds. */
  readonly px?: number
  /** Expire at this Unix time, seconds. */
  readonly exat?: number
  /** Expire at this Unix time, milliseconds. */
  readonly pxat?: number
  /** Only set if the key does not exist. */
  readonly nx?: boolean
  /** Only set if the key exists. */
  readonly xx?: boolean
  /** Keep the key's time to live. */
  readonly keepTtl?: boolean
  /** Return the old value. */
  readonly get?: boolean
}

/**
 * Options of `EXPIRE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExpireOptions {
  readonly nx?: boolean
  readonly xx?: boolean
  readonly gt?: boolean
  readonly lt?: boolean
}

// ---------------------------------------------------------------------------------------------
// Strings and keys

/**
 * `GET key`: the value, or none.
 *
 * @since 0.1.0
 * @category strings
 */
export const get = (k: Arg): Command<Option.Option<string>> => key("GET", ["GET", k], [k], READONLY, R.optionalString)

/**
 * `GET key` with the value as bytes.
 *
 * @since 0.1.0
 * @category strings
 */
export const getBytes = (k: Arg): Command<Option.Option<Uint8Array>> =>
  key("GET", ["GET", k], [k], READONLY | BYTES, R.optionalBytes)

/**
 * `SET key value [options]`: `Some("OK")` when set; with `get: true` the old value (none when the
 * key was new); none when NX/XX prevented the write.
 *
 * @since 0.1.0
 * @category strings
 */
export const set = (k: Arg, value: Arg | number, options?: SetOptions): Command<Option.Option<string>> => {
  const args: Array<Resp.RespArg> = ["SET", k, value, ...expiryArgs(options)]
  if (options !== undefined) {
    if (options.nx) args.push("NX")
    if (options.xx) args.push("XX")
    if (options.keepTtl) args.push("KEEPTTL")
    if (options.get) args.push("GET")
  }
  return key("SET", args, [k], 0, R.optionalString)
}

/**
 * `INCR key`: the new value.
 *
 * @since 0.1.0
 * @category strings
 */
export const incr = (k: Arg): Command<number> => key("INCR", ["INCR", k], [k], 0, R.integer)

/**
 * `INCRBY key increment`: the new value.
 *
 * @since 0.1.0
 * @category strings
 */
export const incrby = (k: Arg, increment: number): Command<number> =>
  key("INCRBY", ["INCRBY", k, increment], [k], 0, R.integer)

/**
 * `DEL key...`: how many keys were removed. Keys in several slots are deleted per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const del = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("DEL", ["DEL", ...keys], keys, 0, R.integer, "key", sumSplit("DEL", keys, 0))

/**
 * `EXISTS key...`: how many of the keys exist (a key named twice counts twice). Split per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const exists = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("EXISTS", ["EXISTS", ...keys], keys, READONLY, R.integer, "key", sumSplit("EXISTS", keys, READONLY))

/**
 * `EXPIRE key seconds [NX|XX|GT|LT]`: `true` when the timeout was set.
 *
 * @since 0.1.0
 * @category keys
 */
export const expire = (k: Arg, seconds: number, options?: ExpireOptions): Command<boolean> =>
  key("EXPIRE", ["EXPIRE", k, seconds, ...expireFlags(options)], [k], 0, R.boolean)

/**
 * `TTL key`: seconds to live; -1 without expiry, -2 when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const ttl = (k: Arg): Command<number> => key("TTL", ["TTL", k], [k], READONLY, R.integer)

/**
 * `MGET key...`: the values in key order. Keys in several slots are fetched per slot.
 *
 * @since 0.1.0
 * @category strings
 */
export const mget = (keys: ReadonlyArray<Arg>): Command<ReadonlyArray<Option.Option<string>>> => {
  return new Command("MGET", ["MGET", ...keys], keys, READONLY, R.optionalStrings, "key", {
    part: (indices) => key("MGET", ["MGET", ...pick(keys, indices)], pick(keys, indices), READONLY, R.optionalStrings),
    merge: (results, groups, count) => {
      const out = new Array<Option.Option<string>>(count)
      groups.forEach((group, g) => {
        const values = results[g] as ReadonlyArray<Option.Option<string>>
        group.forEach((index, j) => {
          out[index] = values[j]!
        })
      })
      return out
    }
  })
}

/**
 * `MSET key value ...` from a record (or pairs). Keys in several slots are set per slot, not atomically.
 *
 * @since 0.1.0
 * @category strings
 */
export const mset = (entries: Readonly<Record<string, Arg | number>> | ReadonlyArray<readonly [Arg, Arg | number]>): Command<void> => {
  const pairs = entriesOf(entries)
  const keys = pairs.map(([k]) => k)
  const argsOf = (ps: ReadonlyArray<readonly [Arg, Arg | number]>): Array<Resp.RespArg> => ["MSET", ...ps.flat()]
  return new Command("MSET", argsOf(pairs), keys, 0, R.ok, "key", {
    part: (indices) => key("MSET", argsOf(pick(pairs, indices)), pick(keys, indices), 0, R.ok),
    merge: () => undefined
  })
}

// ---------------------------------------------------------------------------------------------
// Hashes

/**
 * `HSET key field value ...`: how many fields were added.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hset = (k: Arg, fields: Readonly<Record<string, Arg | number>>): Command<number> =>
  key("HSET", ["HSET", k, ...Object.entries(fields).flat()], [k], 0, R.integer)

/**
 * `HGET key field`: the value, or none.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hget = (k: Arg, field: Arg): Command<Option.Option<string>> =>
  key("HGET", ["HGET", k, field], [k], READONLY, R.optionalString)

/**
 * `HGETALL key`: every field and value.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hgetall = (k: Arg): Command<Record<string, string>> => key("HGETALL", ["HGETALL", k], [k], READONLY, R.record)

// ---------------------------------------------------------------------------------------------
// Connection, cluster

/**
 * `PING [message]`: "PONG", or the message.
 *
 * @since 0.1.0
 * @category connection
 */
export const ping = (message?: string): Command<string> =>
  keyless("PING", message === undefined ? ["PING"] : ["PING", message], READONLY, R.string)

/**
 * `ECHO message`.
 *
 * @since 0.1.0
 * @category connection
 */
export const echo = (message: string): Command<string> => keyless("ECHO", ["ECHO", message], READONLY, R.string)

/**
 * `CLUSTER INFO` as a record (`cluster_state`, `cluster_known_nodes`...).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterInfo = (): Command<Record<string, string>> =>
  keyless("CLUSTER INFO", ["CLUSTER", "INFO"], READONLY, R.infoLines)

/**
 * `CLUSTER NODES`: the raw text, one line per node.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterNodes = (): Command<string> => keyless("CLUSTER NODES", ["CLUSTER", "NODES"], READONLY, R.string)

/**
 * `CLUSTER SLOTS`: the raw reply (ranges with their nodes).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSlots = (): Command<Resp.RespValue> => keyless("CLUSTER SLOTS", ["CLUSTER", "SLOTS"], READONLY, R.raw)

/**
 * `CLUSTER SHARDS`: the raw reply (shards with slots and nodes).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterShards = (): Command<Resp.RespValue> => keyless("CLUSTER SHARDS", ["CLUSTER", "SHARDS"], READONLY, R.raw)

/**
 * `CLUSTER KEYSLOT key`: the slot of a key, as the server computes it.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterKeyslot = (k: Arg): Command<number> =>
  keyless("CLUSTER KEYSLOT", ["CLUSTER", "KEYSLOT", k], READONLY, R.integer)

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

/**
 * Any command, by its arguments, with its reply as it came. Routed by `keys` (keyless when empty).
 *
 * @since 0.1.0
 * @category commands
 */
export const raw = (args: ReadonlyArray<Resp.RespArg>, options?: { readonly keys?: ReadonlyArray<Arg>; readonly readOnly?: boolean; readonly bytes?: boolean }): Command<Resp.RespValue> => {
  const keys = options?.keys ?? []
  const flags = (options?.readOnly ? READONLY : 0) | (options?.bytes ? BYTES : 0)
  const name = String(args[0] ?? "").toUpperCase()
  return new Command(name, args, keys, flags, R.raw, keys.length === 0 ? "any" : "key")
}
