/**
 * Command constructors: hashes.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg, Command } from "../internal/command/command.js"
import { entriesOf, key, READONLY, scanArgs } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"

/**
 * Options of `HSCAN`.
 *
 * @since 0.1.0
 * @category models
 */
export interface HscanOptions {
  /** Only fields matching this glob-style pattern. */
  readonly match?: Arg
  /** A hint of how many entries to return per call. */
  readonly count?: number
}

/**
 * One page of `HSCAN`: the cursor to continue from (`"0"` when done) and the field/value pairs.
 *
 * @since 0.1.0
 * @category models
 */
export interface HscanPage {
  readonly cursor: string
  readonly entries: ReadonlyArray<readonly [field: string, value: string]>
}

/** Field/value pairs from a RESP3 list of pairs `[[f, v], ...]`, a map, or a RESP2 flat list. */
const fieldPairs = R.pairList("a field/value pair", R.pairOf(R.string, R.string))

const hscanPage = R.labelled("[cursor, entries]", fieldPairs, (cursor, entries): HscanPage => ({ cursor, entries }))

/**
 * `HDEL key field...`: how many fields were removed.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hdel = (k: Arg, ...fields: ReadonlyArray<Arg>): Command<number> =>
  key("HDEL", ["HDEL", k, ...fields], [k], 0, R.integer)

/**
 * `HEXISTS key field`: `true` when the field exists.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hexists = (k: Arg, field: Arg): Command<boolean> =>
  key("HEXISTS", ["HEXISTS", k, field], [k], READONLY, R.boolean)

/**
 * `HGET key field`: the value, or none.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hget = (k: Arg, field: Arg): Command<Option.Option<string>> =>
  key("HGET", ["HGET", k, field], [k], READONLY, R.optionalString)

/**
 * `HGETALL key`: every field and value, as a record without a prototype (a field named `__proto__`
 * or `constructor` is an own property like any other; use `Object.hasOwn`, not `hasOwnProperty`).
 *
 * @since 0.1.0
 * @category hashes
 */
export const hgetall = (k: Arg): Command<Record<string, string>> => key("HGETALL", ["HGETALL", k], [k], READONLY, R.record)

/**
 * `HINCRBY key field increment`: the field's new integer value. A result beyond
 * `Number.MAX_SAFE_INTEGER` in magnitude fails with a `ProtocolError` (the command ran; a number
 * would have rounded it): use `hincrbyBig`.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hincrby = (k: Arg, field: Arg, increment: number): Command<number> =>
  key("HINCRBY", ["HINCRBY", k, field, increment], [k], 0, R.integer)

/**
 * `HINCRBY key field increment` with the increment and the new value as `bigint`: exact over Redis'
 * whole signed 64-bit range, where `hincrby`'s `number` would stop at 2^53.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hincrbyBig = (k: Arg, field: Arg, increment: bigint | number): Command<bigint> =>
  key("HINCRBY", ["HINCRBY", k, field, typeof increment === "bigint" ? increment.toString() : increment], [k], 0, R.bigInteger)

/**
 * `HINCRBYFLOAT key field increment`: the field's new value.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hincrbyfloat = (k: Arg, field: Arg, increment: number): Command<number> =>
  key("HINCRBYFLOAT", ["HINCRBYFLOAT", k, field, increment], [k], 0, R.double)

/**
 * `HKEYS key`: every field name (empty when the key does not exist).
 *
 * @since 0.1.0
 * @category hashes
 */
export const hkeys = (k: Arg): Command<ReadonlyArray<string>> => key("HKEYS", ["HKEYS", k], [k], READONLY, R.strings)

/**
 * `HLEN key`: the number of fields.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hlen = (k: Arg): Command<number> => key("HLEN", ["HLEN", k], [k], READONLY, R.integer)

/**
 * `HMGET key field...`: the values in field order, none for missing fields.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hmget = (k: Arg, ...fields: ReadonlyArray<Arg>): Command<ReadonlyArray<Option.Option<string>>> =>
  key("HMGET", ["HMGET", k, ...fields], [k], READONLY, R.optionalStrings)

/**
 * `HMSET key field value ...` from a record (or pairs, for binary field names). Deprecated by Redis
 * in favour of `HSET`, which takes several fields too.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hmset = (
  k: Arg,
  fields: Readonly<Record<string, Arg | number>> | ReadonlyArray<readonly [Arg, Arg | number]>
): Command<void> => key("HMSET", ["HMSET", k, ...entriesOf(fields).flat()], [k], 0, R.ok)

/**
 * `HRANDFIELD key`: one random field, or none when the key does not exist.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hrandfield = (k: Arg): Command<Option.Option<string>> =>
  key("HRANDFIELD", ["HRANDFIELD", k], [k], READONLY, R.optionalString)

/**
 * `HRANDFIELD key count`: up to `count` distinct random fields; a negative count allows repeats and
 * returns exactly `-count` fields.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hrandfieldCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("HRANDFIELD", ["HRANDFIELD", k, count], [k], READONLY, R.strings)

/**
 * `HRANDFIELD key count WITHVALUES`: random fields with their values, as `[field, value]` pairs.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hrandfieldWithValues = (k: Arg, count: number): Command<ReadonlyArray<readonly [field: string, value: string]>> =>
  key("HRANDFIELD", ["HRANDFIELD", k, count, "WITHVALUES"], [k], READONLY, fieldPairs)

/**
 * `HSCAN key cursor [MATCH pattern] [COUNT count]`: one page (next cursor and entries).
 *
 * @since 0.1.0
 * @category hashes
 */
export const hscan = (k: Arg, cursor: string | number, options?: HscanOptions): Command<HscanPage> =>
  key("HSCAN", scanArgs(["HSCAN", k], cursor, options), [k], READONLY, hscanPage)

/**
 * `HSET key field value ...`: how many fields were added.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hset = (k: Arg, fields: Readonly<Record<string, Arg | number>>): Command<number> =>
  key("HSET", ["HSET", k, ...Object.entries(fields).flat()], [k], 0, R.integer)

/**
 * `HSETNX key field value`: `true` when the field was new and set, `false` when it existed.
 *
 * @since 0.1.0
 * @category hashes
 */
export const hsetnx = (k: Arg, field: Arg, value: Arg | number): Command<boolean> =>
  key("HSETNX", ["HSETNX", k, field, value], [k], 0, R.boolean)

/**
 * `HSTRLEN key field`: the length of the field's value (0 when missing).
 *
 * @since 0.1.0
 * @category hashes
 */
export const hstrlen = (k: Arg, field: Arg): Command<number> =>
  key("HSTRLEN", ["HSTRLEN", k, field], [k], READONLY, R.integer)

/**
 * `HVALS key`: every value (empty when the key does not exist).
 *
 * @since 0.1.0
 * @category hashes
 */
export const hvals = (k: Arg): Command<ReadonlyArray<string>> => key("HVALS", ["HVALS", k], [k], READONLY, R.strings)
