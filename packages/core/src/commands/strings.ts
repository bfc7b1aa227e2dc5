/**
 * Command constructors: strings.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { BYTES, Command, entriesOf, expiryArgs, key, pick, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

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
 * Options of `GETEX`: at most one of them (none leaves the time to live as it is).
 *
 * @since 0.1.0
 * @category models
 */
export interface GetexOptions {
  /** Expire after this many seconds. */
  readonly ex?: number
  /** Expire after this many milliseconds. */
  readonly px?: number
  /** Expire at this Unix time, seconds. */
  readonly exat?: number
  /** Expire at this Unix time, milliseconds. */
  readonly pxat?: number
  /** Remove the time to live. */
  readonly persist?: boolean
}

/**
 * Options of `LCS ... IDX`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LcsIdxOptions {
  /** Only report matches at least this long. */
  readonly minMatchLen?: number
  /** Ask the server for each match's length (the decoded reply always carries it). */
  readonly withMatchLen?: boolean
}

/**
 * One common run of `LCS ... IDX`: inclusive `[start, end]` positions in each string.
 *
 * @since 0.1.0
 * @category models
 */
export interface LcsMatch {
  readonly key1: readonly [number, number]
  readonly key2: readonly [number, number]
  /** The run's length. */
  readonly length: number
}

/**
 * The reply of `LCS ... IDX`: the matching runs (last first, as Redis gives them) and the LCS length.
 *
 * @since 0.1.0
 * @category models
 */
export interface LcsIdx {
  readonly matches: ReadonlyArray<LcsMatch>
  readonly length: number
}

// ---------------------------------------------------------------------------------------------
// Decoders (module-private)

const range = (v: Resp.RespValue): readonly [number, number] | ReplyShape => {
  const items = R.integers(v)
  if (items instanceof ReplyShape) return items
  return items.length === 2 ? [items[0]!, items[1]!] : new ReplyShape("a [start, end] pair", v)
}

const decodeLcsMatch = (v: Resp.RespValue): LcsMatch | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  if (items.length < 2) return new ReplyShape("an LCS match", v)
  const key1 = range(items[0]!)
  if (key1 instanceof ReplyShape) return key1
  const key2 = range(items[1]!)
  if (key2 instanceof ReplyShape) return key2
  // WITHMATCHLEN appends the length; without it the range gives it.
  const length = items.length > 2 ? R.integer(items[2]!) : key1[1] - key1[0] + 1
  return length instanceof ReplyShape ? length : { key1, key2, length }
}

// RESP3: a map; RESP2: ["matches", [...], "len", n].
const decodeLcsIdx = (v: Resp.RespValue): LcsIdx | ReplyShape => {
  const ps = R.pairs(v)
  if (ps instanceof ReplyShape) return ps
  let matches: ReadonlyArray<LcsMatch> | undefined
  let length: number | undefined
  for (const [k, val] of ps) {
    const name = R.string(k)
    if (name instanceof ReplyShape) return name
    if (name === "matches") {
      const m = R.arrayOf(val, decodeLcsMatch)
      if (m instanceof ReplyShape) return m
      matches = m
    } else if (name === "len") {
      const n = R.integer(val)
      if (n instanceof ReplyShape) return n
      length = n
    }
  }
  return matches === undefined || length === undefined ? new ReplyShape("an LCS IDX reply (matches, len)", v) : { matches, length }
}

// ---------------------------------------------------------------------------------------------
// Constructors

/**
 * `APPEND key value`: the string's length after the append.
 *
 * @since 0.1.0
 * @category strings
 */
export const append = (k: Arg, value: Arg | number): Command<number> => key("APPEND", ["APPEND", k, value], [k], 0, R.integer)

/**
 * `DECR key`: the new value. A result beyond `Number.MAX_SAFE_INTEGER` in magnitude fails with a
 * `ProtocolError` (the command ran; a number would have rounded it): use `decrbyBig(k, 1n)` for counters that may pass 2^53.
 *
 * @since 0.1.0
 * @category strings
 */
export const decr = (k: Arg): Command<number> => key("DECR", ["DECR", k], [k], 0, R.integer)

/**
 * `DECRBY key decrement`: the new value. A result beyond `Number.MAX_SAFE_INTEGER` in magnitude fails with a
 * `ProtocolError` (the command ran; a number would have rounded it): use `decrbyBig`.
 *
 * @since 0.1.0
 * @category strings
 */
export const decrby = (k: Arg, decrement: number): Command<number> => key("DECRBY", ["DECRBY", k, decrement], [k], 0, R.integer)

/**
 * `DECRBY key decrement` with the decrement and the new value as `bigint`: exact over Redis' whole
 * signed 64-bit range, where `decrby`'s `number` would stop at 2^53.
 *
 * @since 0.1.0
 * @category strings
 */
export const decrbyBig = (k: Arg, decrement: bigint | number): Command<bigint> =>
  key("DECRBY", ["DECRBY", k, typeof decrement === "bigint" ? decrement.toString() : decrement], [k], 0, R.bigInteger)

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
 * `GETDEL key`: the value (the key is then deleted), or none.
 *
 * @since 0.1.0
 * @category strings
 */
export const getdel = (k: Arg): Command<Option.Option<string>> => key("GETDEL", ["GETDEL", k], [k], 0, R.optionalString)

/**
 * `GETEX key [EX|PX|EXAT|PXAT|PERSIST]`: the value, or none; sets or clears the time to live.
 *
 * @since 0.1.0
 * @category strings
 */
export const getex = (k: Arg, options?: GetexOptions): Command<Option.Option<string>> => {
  const args: Array<Resp.RespArg> = ["GETEX", k, ...expiryArgs(options)]
  if (options?.persist) args.push("PERSIST")
  return key("GETEX", args, [k], 0, R.optionalString)
}

/**
 * `GETRANGE key start end`: the substring (inclusive offsets, negative from the end); "" when out of range.
 *
 * @since 0.1.0
 * @category strings
 */
export const getrange = (k: Arg, start: number, end: number): Command<string> =>
  key("GETRANGE", ["GETRANGE", k, start, end], [k], READONLY, R.string)

/**
 * `GETSET key value`: sets the value; the old one, or none.
 *
 * @since 0.1.0
 * @category strings
 */
export const getset = (k: Arg, value: Arg | number): Command<Option.Option<string>> =>
  key("GETSET", ["GETSET", k, value], [k], 0, R.optionalString)

/**
 * `INCR key`: the new value. A result beyond `Number.MAX_SAFE_INTEGER` in magnitude fails with a
 * `ProtocolError` (the command ran; a number would have rounded it): use `incrbyBig(k, 1n)` for counters that may pass 2^53.
 *
 * @since 0.1.0
 * @category strings
 */
export const incr = (k: Arg): Command<number> => key("INCR", ["INCR", k], [k], 0, R.integer)

/**
 * `INCRBY key increment`: the new value. A result beyond `Number.MAX_SAFE_INTEGER` in magnitude fails with a
 * `ProtocolError` (the command ran; a number would have rounded it): use `incrbyBig`.
 *
 * @since 0.1.0
 * @category strings
 */
export const incrby = (k: Arg, increment: number): Command<number> =>
  key("INCRBY", ["INCRBY", k, increment], [k], 0, R.integer)

/**
 * `INCRBY key increment` with the increment and the new value as `bigint`: exact over Redis' whole
 * signed 64-bit range, where `incrby`'s `number` would stop at 2^53.
 *
 * @since 0.1.0
 * @category strings
 */
export const incrbyBig = (k: Arg, increment: bigint | number): Command<bigint> =>
  key("INCRBY", ["INCRBY", k, typeof increment === "bigint" ? increment.toString() : increment], [k], 0, R.bigInteger)

/**
 * `INCRBYFLOAT key increment`: the new value.
 *
 * @since 0.1.0
 * @category strings
 */
export const incrbyfloat = (k: Arg, increment: number): Command<number> =>
  key("INCRBYFLOAT", ["INCRBYFLOAT", k, increment], [k], 0, R.double)

/**
 * `LCS key1 key2`: the longest common subsequence of the two strings. Both keys must share a slot.
 *
 * @since 0.1.0
 * @category strings
 */
export const lcs = (key1: Arg, key2: Arg): Command<string> => key("LCS", ["LCS", key1, key2], [key1, key2], READONLY, R.string)

/**
 * `LCS key1 key2 LEN`: the length of the longest common subsequence. Both keys must share a slot.
 *
 * @since 0.1.0
 * @category strings
 */
export const lcsLen = (key1: Arg, key2: Arg): Command<number> =>
  key("LCS", ["LCS", key1, key2, "LEN"], [key1, key2], READONLY, R.integer)

/**
 * `LCS key1 key2 IDX [MINMATCHLEN n] [WITHMATCHLEN]`: the matching runs and the LCS length. One slot.
 *
 * @since 0.1.0
 * @category strings
 */
export const lcsIdx = (key1: Arg, key2: Arg, options?: LcsIdxOptions): Command<LcsIdx> => {
  const args: Array<Resp.RespArg> = ["LCS", key1, key2, "IDX"]
  if (options?.minMatchLen !== undefined) args.push("MINMATCHLEN", options.minMatchLen)
  if (options?.withMatchLen) args.push("WITHMATCHLEN")
  return key("LCS", args, [key1, key2], READONLY, decodeLcsIdx)
}

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

/**
 * `MSETNX key value ...` from a record (or pairs): `true` when every key was set, `false` when one
 * already existed (then none is). Atomic, so every key must share a slot (no per-slot split).
 *
 * @since 0.1.0
 * @category strings
 */
export const msetnx = (entries: Readonly<Record<string, Arg | number>> | ReadonlyArray<readonly [Arg, Arg | number]>): Command<boolean> => {
  const pairs = entriesOf(entries)
  return new Command("MSETNX", ["MSETNX", ...pairs.flat()], pairs.map(([k]) => k), 0, R.boolean)
}

/**
 * `PSETEX key milliseconds value`: sets the value with a time to live in milliseconds.
 *
 * @since 0.1.0
 * @category strings
 */
export const psetex = (k: Arg, milliseconds: number, value: Arg | number): Command<void> =>
  key("PSETEX", ["PSETEX", k, milliseconds, value], [k], 0, R.ok)

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
 * `SETEX key seconds value`: sets the value with a time to live in seconds.
 *
 * @since 0.1.0
 * @category strings
 */
export const setex = (k: Arg, seconds: number, value: Arg | number): Command<void> =>
  key("SETEX", ["SETEX", k, seconds, value], [k], 0, R.ok)

/**
 * `SETNX key value`: `true` when set, `false` when the key already existed.
 *
 * @since 0.1.0
 * @category strings
 */
export const setnx = (k: Arg, value: Arg | number): Command<boolean> => key("SETNX", ["SETNX", k, value], [k], 0, R.boolean)

/**
 * `SETRANGE key offset value`: overwrites from `offset` (zero-padding); the new length.
 *
 * @since 0.1.0
 * @category strings
 */
export const setrange = (k: Arg, offset: number, value: Arg): Command<number> =>
  key("SETRANGE", ["SETRANGE", k, offset, value], [k], 0, R.integer)

/**
 * `STRLEN key`: the value's length in bytes (0 when the key does not exist).
 *
 * @since 0.1.0
 * @category strings
 */
export const strlen = (k: Arg): Command<number> => key("STRLEN", ["STRLEN", k], [k], READONLY, R.integer)

/**
 * `SUBSTR key start end` (deprecated alias of GETRANGE): the substring.
 *
 * @since 0.1.0
 * @category strings
 */
export const substr = (k: Arg, start: number, end: number): Command<string> =>
  key("SUBSTR", ["SUBSTR", k, start, end], [k], READONLY, R.string)
