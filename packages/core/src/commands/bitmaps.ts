/**
 * Command constructors: bitmaps and bit fields.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg, Command } from "../internal/command/command.js"
import { key, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

/**
 * A bit value.
 *
 * @since 0.1.0
 * @category models
 */
export type Bit = 0 | 1

/**
 * Whether `start`/`end` count bytes (the default) or bits.
 *
 * @since 0.1.0
 * @category models
 */
export type BitUnit = "BYTE" | "BIT"

/**
 * The `start end [BYTE|BIT]` range of `BITCOUNT` (inclusive, negative from the end).
 *
 * @since 0.1.0
 * @category models
 */
export interface BitCountRange {
  readonly start: number
  readonly end: number
  readonly unit?: BitUnit
}

/**
 * The `start [end [BYTE|BIT]]` range of `BITPOS` (inclusive, negative from the end).
 *
 * @since 0.1.0
 * @category models
 */
export interface BitPosRange {
  readonly start: number
  /** Defaults to the end of the string (-1 is sent when only `unit` is given). */
  readonly end?: number
  readonly unit?: BitUnit
}

/**
 * A bit field type: `i1`..`i64` signed, `u1`..`u63` unsigned.
 *
 * @since 0.1.0
 * @category models
 */
export type BitfieldType = `i${number}` | `u${number}`

/**
 * A bit offset, or `#n` for the n-th field of the type's width.
 *
 * @since 0.1.0
 * @category models
 */
export type BitfieldOffset = number | `#${number}`

/**
 * `GET type offset`.
 *
 * @since 0.1.0
 * @category models
 */
export interface BitfieldGet {
  readonly op: "get"
  readonly type: BitfieldType
  readonly offset: BitfieldOffset
}

/**
 * One `BITFIELD` operation; `overflow` changes how the following `set`/`incrby` overflow.
 *
 * @since 0.1.0
 * @category models
 */
export type BitfieldOperation =
  | BitfieldGet
  | { readonly op: "set"; readonly type: BitfieldType; readonly offset: BitfieldOffset; readonly value: number }
  | { readonly op: "incrby"; readonly type: BitfieldType; readonly offset: BitfieldOffset; readonly increment: number }
  | { readonly op: "overflow"; readonly behavior: "WRAP" | "SAT" | "FAIL" }

// ---------------------------------------------------------------------------------------------
// Helpers (module-private)

const bit = (v: Resp.RespValue): Bit | ReplyShape => {
  const n = R.integer(v)
  if (n instanceof ReplyShape) return n
  return n === 0 || n === 1 ? n : new ReplyShape("a bit (0 or 1)", v)
}

// One element per get/set/incrby; nil where OVERFLOW FAIL refused an operation.
const optionalIntegers = (v: Resp.RespValue) => R.arrayOf(v, R.optionalInteger)

const bitfieldArgs = (args: Array<Resp.RespArg>, operations: ReadonlyArray<BitfieldOperation>): Array<Resp.RespArg> => {
  for (const o of operations) {
    switch (o.op) {
      case "get":
        args.push("GET", o.type, o.offset)
        break
      case "set":
        args.push("SET", o.type, o.offset, o.value)
        break
      case "incrby":
        args.push("INCRBY", o.type, o.offset, o.increment)
        break
      case "overflow":
        args.push("OVERFLOW", o.behavior)
        break
    }
  }
  return args
}

// ---------------------------------------------------------------------------------------------
// Constructors

/**
 * `BITCOUNT key [start end [BYTE|BIT]]`: how many bits are set (in the range).
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const bitcount = (k: Arg, range?: BitCountRange): Command<number> => {
  const args: Array<Resp.RespArg> = ["BITCOUNT", k]
  if (range !== undefined) {
    args.push(range.start, range.end)
    if (range.unit !== undefined) args.push(range.unit)
  }
  return key("BITCOUNT", args, [k], READONLY, R.integer)
}

/**
 * `BITFIELD key [GET|SET|INCRBY|OVERFLOW ...]`: one result per get/set/incrby (set gives the old
 * value), none where `overflow: FAIL` refused it. Values beyond 2^53 lose precision.
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const bitfield = (k: Arg, operations: ReadonlyArray<BitfieldOperation>): Command<ReadonlyArray<Option.Option<number>>> =>
  key("BITFIELD", bitfieldArgs(["BITFIELD", k], operations), [k], 0, optionalIntegers)

/**
 * `BITFIELD_RO key GET type offset ...`: the fields' values (may be served by a replica).
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const bitfieldRo = (k: Arg, gets: ReadonlyArray<Omit<BitfieldGet, "op">>): Command<ReadonlyArray<number>> =>
  key(
    "BITFIELD_RO",
    bitfieldArgs(["BITFIELD_RO", k], gets.map((g) => ({ op: "get", type: g.type, offset: g.offset }))),
    [k],
    READONLY,
    R.integers
  )

/**
 * `BITOP AND|OR|XOR|NOT destkey key...`: stores the bitwise result; the destination's length in
 * bytes. NOT takes one source. Every key must share a slot (no split: the result is one value).
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const bitop = (operation: "AND" | "OR" | "XOR" | "NOT", destination: Arg, ...sources: ReadonlyArray<Arg>): Command<number> =>
  key("BITOP", ["BITOP", operation, destination, ...sources], [destination, ...sources], 0, R.integer)

/**
 * `BITPOS key bit [start [end [BYTE|BIT]]]`: the first position of `bit`, or -1 when there is none.
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const bitpos = (k: Arg, value: Bit, range?: BitPosRange): Command<number> => {
  const args: Array<Resp.RespArg> = ["BITPOS", k, value]
  if (range !== undefined) {
    args.push(range.start)
    if (range.end !== undefined || range.unit !== undefined) args.push(range.end ?? -1)
    if (range.unit !== undefined) args.push(range.unit)
  }
  return key("BITPOS", args, [k], READONLY, R.integer)
}

/**
 * `GETBIT key offset`: the bit at `offset` (0 beyond the end).
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const getbit = (k: Arg, offset: number): Command<Bit> => key("GETBIT", ["GETBIT", k, offset], [k], READONLY, bit)

/**
 * `SETBIT key offset value`: sets the bit; its previous value.
 *
 * @since 0.1.0
 * @category bitmaps
 */
export const setbit = (k: Arg, offset: number, value: Bit): Command<Bit> =>
  key("SETBIT", ["SETBIT", k, offset, value], [k], 0, bit)
