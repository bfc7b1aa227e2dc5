/**
 * Command constructors: sorted sets. Scores come back as numbers whatever the protocol (RESP3
 * doubles, RESP2 strings such as `"inf"`), and members with scores as `{ member, score }` objects
 * (RESP3 nests them as pairs, RESP2 flattens them). Score arguments may be `Infinity`/`-Infinity`;
 * bounds may also be Redis' own text (`"(1.5"` exclusive, `"-inf"`, `"[a"` / `"(a"` / `"-"` / `"+"`
 * for lex ranges). Multi-key commands are the real, atomic ones: their keys must share a slot.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg, Command } from "../internal/command/command.js"
import { blocking, blockingPop, blockMillisOf, expireFlags, key, mpopArgs, READONLY, scanArgs } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

/**
 * A member and its score.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScoredMember {
  readonly member: string
  readonly score: number
}

/**
 * A score or rank bound: a number, or Redis' text (`"(1"`, `"-inf"`, `"[a"`, `"-"`, `"+"`).
 *
 * @since 0.1.0
 * @category models
 */
export type ZsetBound = number | Arg

/**
 * Members to add with `ZADD`: a record `member → score`, or `{ member, score }` entries.
 *
 * @since 0.1.0
 * @category models
 */
export type ZaddMembers =
  | Readonly<Record<string, number>>
  | ReadonlyArray<{ readonly member: Arg | number; readonly score: number }>

/**
 * Options of `ZADD` with `INCR`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZaddIncrOptions {
  /** Only add new members. */
  readonly nx?: boolean
  /** Only update existing members. */
  readonly xx?: boolean
  /** Only update when the new score is greater. */
  readonly gt?: boolean
  /** Only update when the new score is less. */
  readonly lt?: boolean
}

/**
 * Options of `ZADD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZaddOptions extends ZaddIncrOptions {
  /** Count changed members (added or score updated), not only added ones. */
  readonly ch?: boolean
}

/**
 * `LIMIT offset count` of range commands (count < 0: every member from the offset).
 *
 * @since 0.1.0
 * @category models
 */
export interface ZsetLimit {
  readonly offset: number
  readonly count: number
}

/**
 * Options of `ZRANGE` / `ZRANGESTORE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZrangeOptions {
  /** `start`/`stop` are scores (`SCORE`) or lex bounds (`LEX`) instead of ranks. */
  readonly by?: "SCORE" | "LEX"
  /** Highest first (then `start` is the upper bound for `by`). */
  readonly rev?: boolean
  /** Only with `by`. */
  readonly limit?: ZsetLimit
}

/**
 * Options of `ZRANGEBYSCORE`, `ZRANGEBYLEX` and their `ZREV` forms.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZrangeByOptions {
  readonly limit?: ZsetLimit
}

/**
 * Options of `ZUNION`, `ZINTER` and their `STORE` forms.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZsetCombineOptions {
  /** One multiplier per key, in key order. */
  readonly weights?: ReadonlyArray<number>
  /** How the scores of a member in several sets combine (default `SUM`). */
  readonly aggregate?: "SUM" | "MIN" | "MAX"
}

/**
 * Options of `ZMPOP` / `BZMPOP`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZmpopOptions {
  /** Pop up to this many members (default 1). */
  readonly count?: number
}

/**
 * Options of `ZSCAN`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZscanOptions {
  /** Only members matching this glob-style pattern. */
  readonly match?: Arg
  /** A hint of how many members to return per call. */
  readonly count?: number
}

/**
 * One page of `ZSCAN`: the cursor to continue from (`"0"` when done) and the members with scores.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZscanPage {
  readonly cursor: string
  readonly members: ReadonlyArray<ScoredMember>
}

/**
 * A member popped by `BZPOPMIN` / `BZPOPMAX`, with the key it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZsetPopped {
  readonly key: string
  readonly member: string
  readonly score: number
}

/**
 * Members popped by `ZMPOP` / `BZMPOP`, with the key they came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZsetMultiPopped {
  readonly key: string
  readonly members: ReadonlyArray<ScoredMember>
}

// ---------------------------------------------------------------------------------------------
// Decoders and argument helpers (module-private)

/**
 * Members with scores: RESP3 `[[member, score], ...]`, or flat `[member, score, ...]` (RESP2, and
 * RESP3 for ZSCAN and ZPOPMIN without count).
 */
const scoredList: (v: Resp.RespValue) => ReadonlyArray<ScoredMember> | ReplyShape = R.pairList("a [member, score] pair", R.scored)

/** `[key, member, score]` of BZPOPMIN/BZPOPMAX. */
const zsetPopped = R.optional((v): ZsetPopped | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  if (items.length !== 3) return new ReplyShape("[key, member, score]", v)
  const k = R.string(items[0]!)
  if (k instanceof ReplyShape) return k
  const s = R.scored(items[1]!, items[2]!)
  return s instanceof ReplyShape ? s : { key: k, member: s.member, score: s.score }
})

/** `[key, [[member, score], ...]]` of ZMPOP/BZMPOP (nested in both protocols). */
const zsetMultiPopped = R.optional(R.labelled("[key, members]", scoredList, (k, members): ZsetMultiPopped => ({ key: k, members })))

const zscanPage = R.labelled("[cursor, members]", scoredList, (cursor, members): ZscanPage => ({ cursor, members }))

const limitArgs = (limit: ZsetLimit | undefined): Array<Resp.RespArg> =>
  limit === undefined ? [] : ["LIMIT", limit.offset, limit.count]

const zaddFlags = (o: ZaddOptions | undefined): Array<Resp.RespArg> => (o?.ch ? [...expireFlags(o), "CH"] : expireFlags(o))

const zrangeArgs = (start: ZsetBound, stop: ZsetBound, o: ZrangeOptions | undefined): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = [start, stop]
  if (o?.by === "SCORE") args.push("BYSCORE")
  if (o?.by === "LEX") args.push("BYLEX")
  if (o?.rev) args.push("REV")
  args.push(...limitArgs(o?.limit))
  return args
}

const combineArgs = (keys: ReadonlyArray<Arg>, o: ZsetCombineOptions | undefined): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = [keys.length, ...keys]
  if (o?.weights !== undefined) args.push("WEIGHTS", ...o.weights)
  if (o?.aggregate !== undefined) args.push("AGGREGATE", o.aggregate)
  return args
}

// ---------------------------------------------------------------------------------------------
// Blocking

/**
 * `BZMPOP timeout numkeys key... MIN|MAX [COUNT count]`: the members popped from the first
 * non-empty sorted set, with its key; none when the timeout (seconds) passed first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const bzmpop = (
  timeout: number,
  keys: ReadonlyArray<Arg>,
  where: "MIN" | "MAX",
  options?: ZmpopOptions
): Command<Option.Option<ZsetMultiPopped>> =>
  blocking("BZMPOP", ["BZMPOP", timeout, ...mpopArgs(keys, where, options)], keys, 0, zsetMultiPopped, blockMillisOf(timeout))

/**
 * `BZPOPMAX key... timeout`: the highest-scored member of the first non-empty set, or none at the timeout.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const bzpopmax = (keys: Arg | ReadonlyArray<Arg>, timeout: number): Command<Option.Option<ZsetPopped>> =>
  blockingPop("BZPOPMAX", keys, timeout, zsetPopped)

/**
 * `BZPOPMIN key... timeout`: the lowest-scored member of the first non-empty set, or none at the timeout.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const bzpopmin = (keys: Arg | ReadonlyArray<Arg>, timeout: number): Command<Option.Option<ZsetPopped>> =>
  blockingPop("BZPOPMIN", keys, timeout, zsetPopped)

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * `ZADD key [NX|XX] [GT|LT] [CH] score member ...`: how many members were added (with `ch`: added
 * or updated).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zadd = (k: Arg, members: ZaddMembers, options?: ZaddOptions): Command<number> => {
  const args: Array<Resp.RespArg> = ["ZADD", k, ...zaddFlags(options)]
  if (Array.isArray(members)) {
    for (const m of members as ReadonlyArray<{ readonly member: Arg | number; readonly score: number }>) args.push(m.score, m.member)
  } else {
    for (const [m, score] of Object.entries(members as Readonly<Record<string, number>>)) args.push(score, m)
  }
  return key("ZADD", args, [k], 0, R.integer)
}

/**
 * `ZADD key [NX|XX] [GT|LT] INCR increment member`: the member's new score, or none when a condition
 * (NX/XX/GT/LT) prevented the update.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zaddIncr = (k: Arg, member: Arg | number, increment: number, options?: ZaddIncrOptions): Command<Option.Option<number>> =>
  key("ZADD", ["ZADD", k, ...zaddFlags(options), "INCR", increment, member], [k], 0, R.optionalDouble)

/**
 * `ZINCRBY key increment member`: the member's new score.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zincrby = (k: Arg, increment: number, member: Arg | number): Command<number> =>
  key("ZINCRBY", ["ZINCRBY", k, increment, member], [k], 0, R.double)

/**
 * `ZMPOP numkeys key... MIN|MAX [COUNT count]`: the members popped from the first non-empty set, or none.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zmpop = (keys: ReadonlyArray<Arg>, where: "MIN" | "MAX", options?: ZmpopOptions): Command<Option.Option<ZsetMultiPopped>> =>
  key("ZMPOP", ["ZMPOP", ...mpopArgs(keys, where, options)], keys, 0, zsetMultiPopped)

/**
 * `ZPOPMAX key [count]`: removes and returns up to `count` (default 1) highest-scored members, highest first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zpopmax = (k: Arg, count?: number): Command<ReadonlyArray<ScoredMember>> =>
  key("ZPOPMAX", count === undefined ? ["ZPOPMAX", k] : ["ZPOPMAX", k, count], [k], 0, scoredList)

/**
 * `ZPOPMIN key [count]`: removes and returns up to `count` (default 1) lowest-scored members, lowest first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zpopmin = (k: Arg, count?: number): Command<ReadonlyArray<ScoredMember>> =>
  key("ZPOPMIN", count === undefined ? ["ZPOPMIN", k] : ["ZPOPMIN", k, count], [k], 0, scoredList)

/**
 * `ZREM key member...`: how many members were removed.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrem = (k: Arg, ...members: ReadonlyArray<Arg | number>): Command<number> =>
  key("ZREM", ["ZREM", k, ...members], [k], 0, R.integer)

/**
 * `ZREMRANGEBYLEX key min max`: how many members between the lex bounds were removed.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zremrangebylex = (k: Arg, min: Arg, max: Arg): Command<number> =>
  key("ZREMRANGEBYLEX", ["ZREMRANGEBYLEX", k, min, max], [k], 0, R.integer)

/**
 * `ZREMRANGEBYRANK key start stop`: how many members between the ranks (inclusive) were removed.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zremrangebyrank = (k: Arg, start: number, stop: number): Command<number> =>
  key("ZREMRANGEBYRANK", ["ZREMRANGEBYRANK", k, start, stop], [k], 0, R.integer)

/**
 * `ZREMRANGEBYSCORE key min max`: how many members between the scores were removed.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zremrangebyscore = (k: Arg, min: ZsetBound, max: ZsetBound): Command<number> =>
  key("ZREMRANGEBYSCORE", ["ZREMRANGEBYSCORE", k, min, max], [k], 0, R.integer)

/**
 * `ZRANGESTORE destination source start stop [BYSCORE|BYLEX] [REV] [LIMIT]`: stores the range; its size.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrangestore = (destination: Arg, source: Arg, start: ZsetBound, stop: ZsetBound, options?: ZrangeOptions): Command<number> =>
  key("ZRANGESTORE", ["ZRANGESTORE", destination, source, ...zrangeArgs(start, stop, options)], [destination, source], 0, R.integer)

/**
 * `ZDIFFSTORE destination numkeys key...`: stores `ZDIFF key...` at `destination`; its size.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zdiffstore = (destination: Arg, ...keys: ReadonlyArray<Arg>): Command<number> =>
  key("ZDIFFSTORE", ["ZDIFFSTORE", destination, keys.length, ...keys], [destination, ...keys], 0, R.integer)

/**
 * `ZINTERSTORE destination numkeys key... [WEIGHTS] [AGGREGATE]`: stores the intersection; its size.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zinterstore = (destination: Arg, keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<number> =>
  key("ZINTERSTORE", ["ZINTERSTORE", destination, ...combineArgs(keys, options)], [destination, ...keys], 0, R.integer)

/**
 * `ZUNIONSTORE destination numkeys key... [WEIGHTS] [AGGREGATE]`: stores the union; its size.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zunionstore = (destination: Arg, keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<number> =>
  key("ZUNIONSTORE", ["ZUNIONSTORE", destination, ...combineArgs(keys, options)], [destination, ...keys], 0, R.integer)

// ---------------------------------------------------------------------------------------------
// Reads

/**
 * `ZCARD key`: the number of members (0 when the key does not exist).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zcard = (k: Arg): Command<number> => key("ZCARD", ["ZCARD", k], [k], READONLY, R.integer)

/**
 * `ZCOUNT key min max`: how many members have a score between the bounds.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zcount = (k: Arg, min: ZsetBound, max: ZsetBound): Command<number> =>
  key("ZCOUNT", ["ZCOUNT", k, min, max], [k], READONLY, R.integer)

/**
 * `ZDIFF numkeys key...`: the members of the first set not in the others, by score.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zdiff = (...keys: ReadonlyArray<Arg>): Command<ReadonlyArray<string>> =>
  key("ZDIFF", ["ZDIFF", keys.length, ...keys], keys, READONLY, R.strings)

/**
 * `ZDIFF numkeys key... WITHSCORES`: the difference with the first set's scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zdiffWithScores = (...keys: ReadonlyArray<Arg>): Command<ReadonlyArray<ScoredMember>> =>
  key("ZDIFF", ["ZDIFF", keys.length, ...keys, "WITHSCORES"], keys, READONLY, scoredList)

/**
 * `ZINTER numkeys key... [WEIGHTS] [AGGREGATE]`: the members in every set, by combined score.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zinter = (keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<ReadonlyArray<string>> =>
  key("ZINTER", ["ZINTER", ...combineArgs(keys, options)], keys, READONLY, R.strings)

/**
 * `ZINTER numkeys key... [WEIGHTS] [AGGREGATE] WITHSCORES`: the intersection with combined scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zinterWithScores = (keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<ReadonlyArray<ScoredMember>> =>
  key("ZINTER", ["ZINTER", ...combineArgs(keys, options), "WITHSCORES"], keys, READONLY, scoredList)

/**
 * `ZINTERCARD numkeys key... [LIMIT limit]`: the size of the intersection (counting stops at `limit`).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zintercard = (keys: ReadonlyArray<Arg>, options?: { readonly limit?: number }): Command<number> =>
  key(
    "ZINTERCARD",
    ["ZINTERCARD", keys.length, ...keys, ...(options?.limit === undefined ? [] : ["LIMIT", options.limit])],
    keys,
    READONLY,
    R.integer
  )

/**
 * `ZLEXCOUNT key min max`: how many members are between the lex bounds (`"[a"`, `"(b"`, `"-"`, `"+"`).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zlexcount = (k: Arg, min: Arg, max: Arg): Command<number> =>
  key("ZLEXCOUNT", ["ZLEXCOUNT", k, min, max], [k], READONLY, R.integer)

/**
 * `ZMSCORE key member...`: each member's score in order, none for missing members.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zmscore = (k: Arg, ...members: ReadonlyArray<Arg | number>): Command<ReadonlyArray<Option.Option<number>>> =>
  key("ZMSCORE", ["ZMSCORE", k, ...members], [k], READONLY, (v) => R.arrayOf(v, R.optionalDouble))

/**
 * `ZRANDMEMBER key`: a random member, or none when the key does not exist.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrandmember = (k: Arg): Command<Option.Option<string>> =>
  key("ZRANDMEMBER", ["ZRANDMEMBER", k], [k], READONLY, R.optionalString)

/**
 * `ZRANDMEMBER key count`: up to `count` distinct random members; a negative count allows repeats
 * and returns exactly `-count` members.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrandmemberCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("ZRANDMEMBER", ["ZRANDMEMBER", k, count], [k], READONLY, R.strings)

/**
 * `ZRANDMEMBER key count WITHSCORES`: random members with their scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrandmemberWithScores = (k: Arg, count: number): Command<ReadonlyArray<ScoredMember>> =>
  key("ZRANDMEMBER", ["ZRANDMEMBER", k, count, "WITHSCORES"], [k], READONLY, scoredList)

/**
 * `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: the members in the range
 * (ranks by default, scores or lex bounds with `by`).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrange = (k: Arg, start: ZsetBound, stop: ZsetBound, options?: ZrangeOptions): Command<ReadonlyArray<string>> =>
  key("ZRANGE", ["ZRANGE", k, ...zrangeArgs(start, stop, options)], [k], READONLY, R.strings)

/**
 * `ZRANGE ... WITHSCORES`: the members in the range with their scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrangeWithScores = (k: Arg, start: ZsetBound, stop: ZsetBound, options?: ZrangeOptions): Command<ReadonlyArray<ScoredMember>> =>
  key("ZRANGE", ["ZRANGE", k, ...zrangeArgs(start, stop, options), "WITHSCORES"], [k], READONLY, scoredList)

/**
 * `ZRANGEBYLEX key min max [LIMIT offset count]` (deprecated: `ZRANGE ... BYLEX`): the members between the lex bounds.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrangebylex = (k: Arg, min: Arg, max: Arg, options?: ZrangeByOptions): Command<ReadonlyArray<string>> =>
  key("ZRANGEBYLEX", ["ZRANGEBYLEX", k, min, max, ...limitArgs(options?.limit)], [k], READONLY, R.strings)

/**
 * `ZRANGEBYSCORE key min max [LIMIT offset count]` (deprecated: `ZRANGE ... BYSCORE`): the members between the scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrangebyscore = (k: Arg, min: ZsetBound, max: ZsetBound, options?: ZrangeByOptions): Command<ReadonlyArray<string>> =>
  key("ZRANGEBYSCORE", ["ZRANGEBYSCORE", k, min, max, ...limitArgs(options?.limit)], [k], READONLY, R.strings)

/**
 * `ZRANGEBYSCORE key min max WITHSCORES [LIMIT offset count]`: the members between the scores, with scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrangebyscoreWithScores = (
  k: Arg,
  min: ZsetBound,
  max: ZsetBound,
  options?: ZrangeByOptions
): Command<ReadonlyArray<ScoredMember>> =>
  key("ZRANGEBYSCORE", ["ZRANGEBYSCORE", k, min, max, "WITHSCORES", ...limitArgs(options?.limit)], [k], READONLY, scoredList)

/**
 * `ZRANK key member`: the member's rank, lowest score first, or none when it is not in the set.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrank = (k: Arg, member: Arg | number): Command<Option.Option<number>> =>
  key("ZRANK", ["ZRANK", k, member], [k], READONLY, R.optionalInteger)

/**
 * `ZREVRANGE key start stop` (deprecated: `ZRANGE ... REV`): the members by rank, highest score first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrange = (k: Arg, start: number, stop: number): Command<ReadonlyArray<string>> =>
  key("ZREVRANGE", ["ZREVRANGE", k, start, stop], [k], READONLY, R.strings)

/**
 * `ZREVRANGE key start stop WITHSCORES`: the members by rank, highest first, with scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrangeWithScores = (k: Arg, start: number, stop: number): Command<ReadonlyArray<ScoredMember>> =>
  key("ZREVRANGE", ["ZREVRANGE", k, start, stop, "WITHSCORES"], [k], READONLY, scoredList)

/**
 * `ZREVRANGEBYLEX key max min [LIMIT offset count]`: the members between the lex bounds, highest first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrangebylex = (k: Arg, max: Arg, min: Arg, options?: ZrangeByOptions): Command<ReadonlyArray<string>> =>
  key("ZREVRANGEBYLEX", ["ZREVRANGEBYLEX", k, max, min, ...limitArgs(options?.limit)], [k], READONLY, R.strings)

/**
 * `ZREVRANGEBYSCORE key max min [LIMIT offset count]`: the members between the scores, highest first.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrangebyscore = (k: Arg, max: ZsetBound, min: ZsetBound, options?: ZrangeByOptions): Command<ReadonlyArray<string>> =>
  key("ZREVRANGEBYSCORE", ["ZREVRANGEBYSCORE", k, max, min, ...limitArgs(options?.limit)], [k], READONLY, R.strings)

/**
 * `ZREVRANGEBYSCORE key max min WITHSCORES [LIMIT offset count]`: as `zrevrangebyscore`, with scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrangebyscoreWithScores = (
  k: Arg,
  max: ZsetBound,
  min: ZsetBound,
  options?: ZrangeByOptions
): Command<ReadonlyArray<ScoredMember>> =>
  key("ZREVRANGEBYSCORE", ["ZREVRANGEBYSCORE", k, max, min, "WITHSCORES", ...limitArgs(options?.limit)], [k], READONLY, scoredList)

/**
 * `ZREVRANK key member`: the member's rank, highest score first, or none when it is not in the set.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zrevrank = (k: Arg, member: Arg | number): Command<Option.Option<number>> =>
  key("ZREVRANK", ["ZREVRANK", k, member], [k], READONLY, R.optionalInteger)

/**
 * `ZSCAN key cursor [MATCH pattern] [COUNT count]`: one page (next cursor and members with scores).
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zscan = (k: Arg, cursor: string | number, options?: ZscanOptions): Command<ZscanPage> =>
  key("ZSCAN", scanArgs(["ZSCAN", k], cursor, options), [k], READONLY, zscanPage)

/**
 * `ZSCORE key member`: the member's score, or none when it is not in the set.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zscore = (k: Arg, member: Arg | number): Command<Option.Option<number>> =>
  key("ZSCORE", ["ZSCORE", k, member], [k], READONLY, R.optionalDouble)

/**
 * `ZUNION numkeys key... [WEIGHTS] [AGGREGATE]`: the members of any set, by combined score.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zunion = (keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<ReadonlyArray<string>> =>
  key("ZUNION", ["ZUNION", ...combineArgs(keys, options)], keys, READONLY, R.strings)

/**
 * `ZUNION numkeys key... [WEIGHTS] [AGGREGATE] WITHSCORES`: the union with combined scores.
 *
 * @since 0.1.0
 * @category sortedsets
 */
export const zunionWithScores = (keys: ReadonlyArray<Arg>, options?: ZsetCombineOptions): Command<ReadonlyArray<ScoredMember>> =>
  key("ZUNION", ["ZUNION", ...combineArgs(keys, options), "WITHSCORES"], keys, READONLY, scoredList)
