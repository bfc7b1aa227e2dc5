/**
 * Command constructors: lists. The blocking ones (`BLPOP`, `BLMOVE`...) run on dedicated
 * connections; their `timeout` is in seconds (fractions allowed), 0 blocks indefinitely.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg, Command } from "../internal/command/command.js"
import { blocking, blockingPop, blockMillisOf, key, mpopArgs, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

/**
 * An end of a list.
 *
 * @since 0.1.0
 * @category models
 */
export type ListSide = "LEFT" | "RIGHT"

/**
 * An element popped by `BLPOP` / `BRPOP`, with the key it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListPopped {
  readonly key: string
  readonly element: string
}

/**
 * Elements popped by `LMPOP` / `BLMPOP`, with the key they came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListMultiPopped {
  readonly key: string
  readonly elements: ReadonlyArray<string>
}

/**
 * Options of `LPOS`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LposOptions {
  /** Which match to return: 1 the first, 2 the second, -1 the last... */
  readonly rank?: number
  /** Compare at most this many elements (0 = the whole list). */
  readonly maxlen?: number
}

/**
 * Options of `LMPOP` / `BLMPOP`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LmpopOptions {
  /** Pop up to this many elements (default 1). */
  readonly count?: number
}

/** `[key, element]` of BLPOP/BRPOP. */
const popped = R.optional(R.labelled("[key, element]", R.string, (k, element): ListPopped => ({ key: k, element })))

/** `[key, [elements]]` of LMPOP/BLMPOP. */
const multiPopped = R.optional(R.labelled("[key, elements]", R.strings, (k, elements): ListMultiPopped => ({ key: k, elements })))

const lposArgs = (k: Arg, element: Arg | number, options: LposOptions | undefined): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = ["LPOS", k, element]
  if (options?.rank !== undefined) args.push("RANK", options.rank)
  if (options?.maxlen !== undefined) args.push("MAXLEN", options.maxlen)
  return args
}

// ---------------------------------------------------------------------------------------------
// Blocking

/**
 * `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`: the element moved, or none when the
 * timeout passed first.
 *
 * @since 0.1.0
 * @category lists
 */
export const blmove = (source: Arg, destination: Arg, from: ListSide, to: ListSide, timeout: number): Command<Option.Option<string>> =>
  blocking("BLMOVE", ["BLMOVE", source, destination, from, to, timeout], [source, destination], 0, R.optionalString, blockMillisOf(timeout))

/**
 * `BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT count]`: the elements popped from the first
 * non-empty list, with its key; none when the timeout passed first.
 *
 * @since 0.1.0
 * @category lists
 */
export const blmpop = (
  timeout: number,
  keys: ReadonlyArray<Arg>,
  where: ListSide,
  options?: LmpopOptions
): Command<Option.Option<ListMultiPopped>> =>
  blocking("BLMPOP", ["BLMPOP", timeout, ...mpopArgs(keys, where, options)], keys, 0, multiPopped, blockMillisOf(timeout))

/**
 * `BLPOP key... timeout`: the first element of the first non-empty list, or none at the timeout.
 *
 * @since 0.1.0
 * @category lists
 */
export const blpop = (keys: Arg | ReadonlyArray<Arg>, timeout: number): Command<Option.Option<ListPopped>> =>
  blockingPop("BLPOP", keys, timeout, popped)

/**
 * `BRPOP key... timeout`: the last element of the first non-empty list, or none at the timeout.
 *
 * @since 0.1.0
 * @category lists
 */
export const brpop = (keys: Arg | ReadonlyArray<Arg>, timeout: number): Command<Option.Option<ListPopped>> =>
  blockingPop("BRPOP", keys, timeout, popped)

/**
 * `BRPOPLPUSH source destination timeout` (deprecated: `BLMOVE ... RIGHT LEFT`): the element moved, or none.
 *
 * @since 0.1.0
 * @category lists
 */
export const brpoplpush = (source: Arg, destination: Arg, timeout: number): Command<Option.Option<string>> =>
  blocking("BRPOPLPUSH", ["BRPOPLPUSH", source, destination, timeout], [source, destination], 0, R.optionalString, blockMillisOf(timeout))

// ---------------------------------------------------------------------------------------------
// Non-blocking

/**
 * `LINDEX key index`: the element at `index` (negative from the end), or none when out of range.
 *
 * @since 0.1.0
 * @category lists
 */
export const lindex = (k: Arg, index: number): Command<Option.Option<string>> =>
  key("LINDEX", ["LINDEX", k, index], [k], READONLY, R.optionalString)

/**
 * `LINSERT key BEFORE|AFTER pivot element`: the list's new length; -1 when the pivot was not found,
 * 0 when the key does not exist.
 *
 * @since 0.1.0
 * @category lists
 */
export const linsert = (k: Arg, where: "BEFORE" | "AFTER", pivot: Arg | number, element: Arg | number): Command<number> =>
  key("LINSERT", ["LINSERT", k, where, pivot, element], [k], 0, R.integer)

/**
 * `LLEN key`: the list's length (0 when the key does not exist).
 *
 * @since 0.1.0
 * @category lists
 */
export const llen = (k: Arg): Command<number> => key("LLEN", ["LLEN", k], [k], READONLY, R.integer)

/**
 * `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: the element moved, or none when `source` is empty.
 *
 * @since 0.1.0
 * @category lists
 */
export const lmove = (source: Arg, destination: Arg, from: ListSide, to: ListSide): Command<Option.Option<string>> =>
  key("LMOVE", ["LMOVE", source, destination, from, to], [source, destination], 0, R.optionalString)

/**
 * `LMPOP numkeys key... LEFT|RIGHT [COUNT count]`: the elements popped from the first non-empty
 * list, with its key; none when every list is empty.
 *
 * @since 0.1.0
 * @category lists
 */
export const lmpop = (keys: ReadonlyArray<Arg>, where: ListSide, options?: LmpopOptions): Command<Option.Option<ListMultiPopped>> =>
  key("LMPOP", ["LMPOP", ...mpopArgs(keys, where, options)], keys, 0, multiPopped)

/**
 * `LPOP key`: the first element, or none when the list is empty.
 *
 * @since 0.1.0
 * @category lists
 */
export const lpop = (k: Arg): Command<Option.Option<string>> => key("LPOP", ["LPOP", k], [k], 0, R.optionalString)

/**
 * `LPOP key count`: up to `count` elements from the head (empty when the key does not exist).
 *
 * @since 0.1.0
 * @category lists
 */
export const lpopCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("LPOP", ["LPOP", k, count], [k], 0, R.stringsOrNil)

/**
 * `LPOS key element [RANK rank] [MAXLEN len]`: the index of the matching element, or none.
 *
 * @since 0.1.0
 * @category lists
 */
export const lpos = (k: Arg, element: Arg | number, options?: LposOptions): Command<Option.Option<number>> =>
  key("LPOS", lposArgs(k, element, options), [k], READONLY, R.optionalInteger)

/**
 * `LPOS key element COUNT count [RANK rank] [MAXLEN len]`: the indexes of up to `count` matches (0 = all).
 *
 * @since 0.1.0
 * @category lists
 */
export const lposCount = (k: Arg, element: Arg | number, count: number, options?: LposOptions): Command<ReadonlyArray<number>> =>
  key("LPOS", [...lposArgs(k, element, options), "COUNT", count], [k], READONLY, R.integers)

/**
 * `LPUSH key element...`: the list's new length.
 *
 * @since 0.1.0
 * @category lists
 */
export const lpush = (k: Arg, ...elements: ReadonlyArray<Arg | number>): Command<number> =>
  key("LPUSH", ["LPUSH", k, ...elements], [k], 0, R.integer)

/**
 * `LPUSHX key element...`: the list's new length; 0 (nothing pushed) when the key does not exist.
 *
 * @since 0.1.0
 * @category lists
 */
export const lpushx = (k: Arg, ...elements: ReadonlyArray<Arg | number>): Command<number> =>
  key("LPUSHX", ["LPUSHX", k, ...elements], [k], 0, R.integer)

/**
 * `LRANGE key start stop`: the elements from `start` to `stop` inclusive (negative from the end).
 *
 * @since 0.1.0
 * @category lists
 */
export const lrange = (k: Arg, start: number, stop: number): Command<ReadonlyArray<string>> =>
  key("LRANGE", ["LRANGE", k, start, stop], [k], READONLY, R.strings)

/**
 * `LREM key count element`: how many were removed; `count` > 0 removes from the head, < 0 from the
 * tail, 0 every occurrence.
 *
 * @since 0.1.0
 * @category lists
 */
export const lrem = (k: Arg, count: number, element: Arg | number): Command<number> =>
  key("LREM", ["LREM", k, count, element], [k], 0, R.integer)

/**
 * `LSET key index element`: sets the element at `index` (fails when out of range).
 *
 * @since 0.1.0
 * @category lists
 */
export const lset = (k: Arg, index: number, element: Arg | number): Command<void> =>
  key("LSET", ["LSET", k, index, element], [k], 0, R.ok)

/**
 * `LTRIM key start stop`: keeps only the elements from `start` to `stop` inclusive.
 *
 * @since 0.1.0
 * @category lists
 */
export const ltrim = (k: Arg, start: number, stop: number): Command<void> =>
  key("LTRIM", ["LTRIM", k, start, stop], [k], 0, R.ok)

/**
 * `RPOP key`: the last element, or none when the list is empty.
 *
 * @since 0.1.0
 * @category lists
 */
export const rpop = (k: Arg): Command<Option.Option<string>> => key("RPOP", ["RPOP", k], [k], 0, R.optionalString)

/**
 * `RPOP key count`: up to `count` elements from the tail (empty when the key does not exist).
 *
 * @since 0.1.0
 * @category lists
 */
export const rpopCount = (k: Arg, count: number): Command<ReadonlyArray<string>> =>
  key("RPOP", ["RPOP", k, count], [k], 0, R.stringsOrNil)

/**
 * `RPOPLPUSH source destination` (deprecated: `LMOVE ... RIGHT LEFT`): the element moved, or none.
 *
 * @since 0.1.0
 * @category lists
 */
export const rpoplpush = (source: Arg, destination: Arg): Command<Option.Option<string>> =>
  key("RPOPLPUSH", ["RPOPLPUSH", source, destination], [source, destination], 0, R.optionalString)

/**
 * `RPUSH key element...`: the list's new length.
 *
 * @since 0.1.0
 * @category lists
 */
export const rpush = (k: Arg, ...elements: ReadonlyArray<Arg | number>): Command<number> =>
  key("RPUSH", ["RPUSH", k, ...elements], [k], 0, R.integer)

/**
 * `RPUSHX key element...`: the list's new length; 0 (nothing pushed) when the key does not exist.
 *
 * @since 0.1.0
 * @category lists
 */
export const rpushx = (k: Arg, ...elements: ReadonlyArray<Arg | number>): Command<number> =>
  key("RPUSHX", ["RPUSHX", k, ...elements], [k], 0, R.integer)
