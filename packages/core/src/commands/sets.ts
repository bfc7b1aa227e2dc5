/**
 * Command constructors: sets. The multi-key ones (`SDIFF`, `SINTER`, `SMOVE`...) are the real,
 * atomic commands: their keys must share a slot (use hash tags), otherwise `CrossSlotError`.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg, Command } from "../internal/command/command.js"
import { key, READONLY, scanArgs } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"

/**
 * Options of `SSCAN`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SscanOptions {
  /** Only members matching this glob-style pattern. */
  readonly match?: Arg
  /** A hint of how many members to return per call. */
  readonly count?: number
}

/**
 * One page of `SSCAN`: the cursor to continue from (`"0"` when done) and the members.
 *
 * @since 0.1.0
 * @category models
 */
export interface SscanPage {
  readonly cursor: string
  readonly members: ReadonlyArray<string>
}

// RESP3 answers SMEMBERS, SDIFF, SPOP count... with a set; `R.strings` reads sets as arrays.
const sscanPage = R.labelled("[cursor, members]", R.strings, (cursor, members): SscanPage => ({ cursor, members }))

/**
 * `SADD key member...`: how many members were added (not counting those already there).
 *
 * @since 0.1.0
 * @category sets
 */
export const sadd = (k: Arg, ...members: ReadonlyArray<Arg | number>): Command<number> =>
  key("SADD", ["SADD", k, ...members], [k], 0, R.integer)

/**
 * `SCARD key`: the number of members (0 when the key does not exist).
 *
 * @since 0.1.0
 * @category sets
 */
export const scard = (k: Arg): Command<number> => key("SCARD", ["SCARD", k], [k], READONLY, R.integer)

/**
 * `SDIFF key...`: the members of the first set not in any of the others.
 *
 * @since 0.1.0
 * @category sets
 */
export const sdiff = (...keys: ReadonlyArray<Arg>): Command<ReadonlyArray<string>> =>
  key("SDIFF", ["SDIFF", ...keys], keys, READONLY, R.strings)

/**
 * `SDIFFSTORE destination key...`: stores `SDIFF key...` at `destination`; its size.
 *
 * @since 0.1.0
 * @category sets
 */
export const sdiffstore = (destination: Arg, ...keys: ReadonlyArray<Arg>): Command<number> =>
  key("SDIFFSTORE", ["SDIFFSTORE", destination, ...keys], [destination, ...keys], 0, R.integer)

/**
 * `SINTER key...`: the members in every set.
 *
 * @since 0.1.0
 * @category sets
 */
export const sinter = (...keys: ReadonlyArray<Arg>): Command<ReadonlyArray<string>> =>
  key("SINTER", ["SINTER", ...keys], keys, READONLY, R.strings)

/**
 * `SINTERCARD numkeys key... [LIMIT limit]`: the size of the intersection (counting stops at `limit`).
 *
 * @since 0.1.0
 * @category sets
 */
export const sintercard = (keys: ReadonlyArray<Arg>, options?: { readonly limit?: number }): Command<number> =>
  key(
    "SINTERCARD",
    ["SINTERCARD", keys.length, ...keys, ...(options?.limit === undefined ? [] : ["LIMIT", options.limit])],
    keys,
    READONLY,
    R.integer
  )

/**
 * `SINTERSTORE destination key...`: stores `SINTER key...` at `destination`; its size.
 *
 * @since 0.1.0
 * @category sets
 */
export const sinterstore = (destination: Arg, ...keys: ReadonlyArray<Arg>): Command<number> =>
  key("SINTERSTORE", ["SINTERSTORE", destination, ...keys], [destination, ...keys], 0, R.integer)

/**
 * `SISMEMBER key member`: `true` when the member is in the set.
 *
 * @since 0.1.0
 * @category sets
 */
export const sismember = (k: Arg, member: Arg | number): Command<boolean> =>
  key("SISMEMBER", ["SISMEMBER", k, member], [k], READONLY, R.boolean)

/**
 * `SMEMBERS key`: every member (empty when the key does not exist).
 *
 * @since 0.1.0
 * @category sets
 */
export const smembers = (k: Arg): Command<ReadonlyArray<string>> => key("SMEMBERS", ["SMEMBERS", k], [k], READONLY, R.strings)

/**
 * `SMISMEMBER key member...`: for each member, in order, `true` when it is in the set.
 *
 * @since 0.1.0
 * @category sets
 */
export const smismember = (k: Arg, ...members: ReadonlyArray<Arg | number>): Command<ReadonlyArray<boolean>> =>
  key("SMISMEMBER", ["SMISMEMBER", k, ...members], [k], READONLY, (v) => R.arrayOf(v, R.boolean))

/**
 * `SMOVE source destination member`: `true` when the member was moved, `false` when not in `source`.
 *
 * @since 0.1.0
 * @category sets
 */
export const smove = (source: Arg, destination: Arg, member: Arg | number): Command<boolean> =>
  key("SMOVE", ["SMOVE", source, destination, member], [source, destination], 0, R.boolean)

/**
 * `SPOP key`: removes and returns a random member, or none when the set is empty.
 *
 * @since 0.1.0
 * @category sets
 */
export const spop = (k: Arg): Command<Option.Option<string>> => key("SPOP", ["SPOP", k], [k], 0, R.optionalString)

/**
 * `SPOP key count`: removes and returns up to `count` random members.
 *
 * @since 0.1.0
 * @category sets
 */
export const spopCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("SPOP", ["SPOP", k, count], [k], 0, R.stringsOrNil)

/**
 * `SRANDMEMBER key`: a random member, or none when the set is empty.
 *
 * @since 0.1.0
 * @category sets
 */
export const srandmember = (k: Arg): Command<Option.Option<string>> =>
  key("SRANDMEMBER", ["SRANDMEMBER", k], [k], READONLY, R.optionalString)

/**
 * `SRANDMEMBER key count`: up to `count` distinct random members; a negative count allows repeats
 * and returns exactly `-count` members.
 *
 * @since 0.1.0
 * @category sets
 */
export const srandmemberCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("SRANDMEMBER", ["SRANDMEMBER", k, count], [k], READONLY, R.strings)

/**
 * `SREM key member...`: how many members were removed.
 *
 * @since 0.1.0
 * @category sets
 */
export const srem = (k: Arg, ...members: ReadonlyArray<Arg | number>): Command<number> =>
  key("SREM", ["SREM", k, ...members], [k], 0, R.integer)

/**
 * `SSCAN key cursor [MATCH pattern] [COUNT count]`: one page (next cursor and members).
 *
 * @since 0.1.0
 * @category sets
 */
export const sscan = (k: Arg, cursor: string | number, options?: SscanOptions): Command<SscanPage> =>
  key("SSCAN", scanArgs(["SSCAN", k], cursor, options), [k], READONLY, sscanPage)

/**
 * `SUNION key...`: the members of any of the sets.
 *
 * @since 0.1.0
 * @category sets
 */
export const sunion = (...keys: ReadonlyArray<Arg>): Command<ReadonlyArray<string>> =>
  key("SUNION", ["SUNION", ...keys], keys, READONLY, R.strings)

/**
 * `SUNIONSTORE destination key...`: stores `SUNION key...` at `destination`; its size.
 *
 * @since 0.1.0
 * @category sets
 */
export const sunionstore = (destination: Arg, ...keys: ReadonlyArray<Arg>): Command<number> =>
  key("SUNIONSTORE", ["SUNIONSTORE", destination, ...keys], [destination, ...keys], 0, R.integer)
