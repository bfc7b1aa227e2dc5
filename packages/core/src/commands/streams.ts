/**
 * Command constructors: streams (XADD, XRANGE, XREAD, consumer groups, XINFO...).
 *
 * Entries decode to `{ id, fields }` under RESP2 and RESP3 alike (RESP3 answers XREAD with a map,
 * RESP2 with pairs). `XREAD`/`XREADGROUP` with `block` run on a dedicated blocking connection.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { blocking, type Command, entriesOf, key, keyless, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { type Fields, ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

/**
 * One stream entry. An entry read back from a consumer's history after it was deleted has no fields (`{}`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamEntry {
  readonly id: string
  readonly fields: Record<string, string>
}

/**
 * The entries read from one stream by `XREAD` / `XREADGROUP`.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRead {
  readonly stream: string
  readonly entries: ReadonlyArray<StreamEntry>
}

/**
 * How to trim a stream (`XTRIM`, `XADD`): by length (`maxlen`) or by smallest id kept (`minid`).
 * `approximate: true` sends `~` (trims whole macro nodes, cheaper), `false` sends `=`; `limit`
 * caps the entries evicted at once (with `~` only).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamTrim =
  & ({ readonly maxlen: number; readonly minid?: never } | { readonly minid: string; readonly maxlen?: never })
  & { readonly approximate?: boolean; readonly limit?: number }

/**
 * Options of `XADD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XaddOptions {
  /** Do not create the stream when it does not exist (the reply is then none). */
  readonly nomkstream?: boolean
  /** Trim the stream as the entry is added. */
  readonly trim?: StreamTrim
}

/**
 * Fields of an entry: a record, or pairs (which keep order and allow repeated names).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamFields = Readonly<Record<string, Arg | number>> | ReadonlyArray<readonly [Arg, Arg | number]>

/**
 * The streams to read and the id to read after, per stream (`$` = only new entries, `>` = never delivered to the group).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamOffsets = Readonly<Record<string, string>> | ReadonlyArray<readonly [Arg, string]>

/**
 * Options of `XREAD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XreadOptions {
  /** At most this many entries per stream. */
  readonly count?: number
  /** Wait up to this many milliseconds for an entry (0 = indefinitely); on a dedicated connection. */
  readonly block?: number
}

/**
 * Options of `XREADGROUP`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XreadgroupOptions extends XreadOptions {
  /** Do not add the delivered entries to the pending list (no XACK needed). */
  readonly noack?: boolean
}

/**
 * Options of `XRANGE` / `XREVRANGE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XrangeOptions {
  readonly count?: number
}

/**
 * Options of `XSETID`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XsetidOptions {
  readonly entriesAdded?: number
  readonly maxDeletedId?: string
}

/**
 * Options of `XGROUP CREATE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XgroupCreateOptions {
  /** Create the stream (empty) when it does not exist. */
  readonly mkstream?: boolean
  /** The group's `entries-read` counter, for its lag. */
  readonly entriesRead?: number
}

/**
 * Options of `XGROUP SETID`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XgroupSetidOptions {
  readonly entriesRead?: number
}

/**
 * Options of `XCLAIM`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XclaimOptions {
  /** Set the idle time of the claimed entries, ms. */
  readonly idle?: number
  /** Set their last delivery time, Unix ms. */
  readonly time?: number
  /** Set their delivery counter. */
  readonly retryCount?: number
  /** Create pending entries for ids not yet pending. */
  readonly force?: boolean
  /** Set the group's last delivered id. */
  readonly lastId?: string
}

/**
 * Options of `XAUTOCLAIM`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XautoclaimOptions {
  /** Examine at most this many pending entries (server default 100). */
  readonly count?: number
}

/**
 * The reply of `XAUTOCLAIM`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XautoclaimResult {
  /** The cursor for the next call; `"0-0"` when the whole pending list was scanned. */
  readonly nextId: string
  readonly entries: ReadonlyArray<StreamEntry>
  /** Pending ids whose entries no longer exist (removed from the pending list). */
  readonly deletedIds: ReadonlyArray<string>
}

/**
 * The reply of `XAUTOCLAIM ... JUSTID`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XautoclaimJustIdResult {
  readonly nextId: string
  readonly ids: ReadonlyArray<string>
  readonly deletedIds: ReadonlyArray<string>
}

/**
 * The summary form of `XPENDING`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XpendingSummary {
  /** Pending entries in the group. */
  readonly count: number
  /** Smallest and greatest pending ids; none when nothing is pending. */
  readonly smallestId: Option.Option<string>
  readonly greatestId: Option.Option<string>
  /** Pending entries per consumer (consumers with none are left out). */
  readonly consumers: ReadonlyArray<{ readonly name: string; readonly count: number }>
}

/**
 * Options of the extended form of `XPENDING`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XpendingRangeOptions {
  /** Only entries idle at least this many ms. */
  readonly idle?: number
  /** Only this consumer's entries. */
  readonly consumer?: Arg
}

/**
 * One entry of the extended form of `XPENDING`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XpendingEntry {
  readonly id: string
  readonly consumer: string
  /** Milliseconds since its last delivery. */
  readonly idleMillis: number
  readonly deliveryCount: number
}

/**
 * The fields `XINFO STREAM` and `XINFO STREAM ... FULL` share.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoStreamHead {
  readonly length: number
  readonly radixTreeKeys: number
  readonly radixTreeNodes: number
  readonly lastGeneratedId: string
  readonly maxDeletedEntryId: string
  readonly entriesAdded: number
  /** Present on servers that report it. */
  readonly recordedFirstEntryId?: string
}

/**
 * `XINFO STREAM`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoStream extends XinfoStreamHead {
  /** Number of consumer groups. */
  readonly groups: number
  readonly firstEntry: Option.Option<StreamEntry>
  readonly lastEntry: Option.Option<StreamEntry>
}

/**
 * One group of `XINFO STREAM ... FULL`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoStreamFullGroup {
  readonly name: string
  readonly lastDeliveredId: string
  /** None when the server cannot tell. */
  readonly entriesRead: Option.Option<number>
  readonly lag: Option.Option<number>
  readonly pelCount: number
  readonly pending: ReadonlyArray<{ readonly id: string; readonly consumer: string; readonly deliveryTime: number; readonly deliveryCount: number }>
  readonly consumers: ReadonlyArray<{
    readonly name: string
    /** Unix ms of the consumer's last attempted interaction. */
    readonly seenTime: number
    /** Unix ms of its last successful interaction (servers ≥ 7.2). */
    readonly activeTime?: number
    readonly pelCount: number
    readonly pending: ReadonlyArray<{ readonly id: string; readonly deliveryTime: number; readonly deliveryCount: number }>
  }>
}

/**
 * `XINFO STREAM ... FULL`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoStreamFull extends XinfoStreamHead {
  readonly entries: ReadonlyArray<StreamEntry>
  readonly groups: ReadonlyArray<XinfoStreamFullGroup>
}

/**
 * One group of `XINFO GROUPS`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoGroup {
  readonly name: string
  readonly consumers: number
  readonly pending: number
  readonly lastDeliveredId: string
  /** None when the server cannot tell. */
  readonly entriesRead: Option.Option<number>
  readonly lag: Option.Option<number>
}

/**
 * One consumer of `XINFO CONSUMERS`.
 *
 * @since 0.1.0
 * @category models
 */
export interface XinfoConsumer {
  readonly name: string
  readonly pending: number
  /** Milliseconds since its last attempted interaction. */
  readonly idle: number
  /** Milliseconds since its last successful interaction (servers ≥ 7.2). */
  readonly inactive?: number
}

// ---------------------------------------------------------------------------------------------
// Decoders (module-private)

/** `[id, fields]`; a deleted entry still pending in a consumer's history comes as `[id, nil]`. */
const entry = R.labelled(
  "a stream entry [id, fields]",
  (f) => (R.plain(f) === null ? R.newRecord<string>() : R.record(f)),
  (id, fields): StreamEntry => ({ id, fields })
)

/** Entries; nil elements (deleted entries, older servers' XCLAIM) are skipped. */
const entries = (v: Resp.RespValue): ReadonlyArray<StreamEntry> | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  const out: Array<StreamEntry> = []
  for (const item of items) {
    if (R.plain(item) === null) continue
    const e = entry(item)
    if (e instanceof ReplyShape) return e
    out.push(e)
  }
  return out
}

/** XREAD / XREADGROUP: nil (nothing new) → []; RESP3 map or RESP2 array of [stream, entries]. */
const streamReads = (v: Resp.RespValue): ReadonlyArray<StreamRead> | ReplyShape => {
  v = R.plain(v)
  if (v === null) return []
  const ps: Array<readonly [Resp.RespValue, Resp.RespValue]> = []
  if (v instanceof Map) ps.push(...v.entries())
  else {
    const items = R.array(v)
    if (items instanceof ReplyShape) return items
    for (const item of items) {
      const pair = R.array(item)
      if (pair instanceof ReplyShape) return pair
      if (pair.length !== 2) return new ReplyShape("a [stream, entries] pair", item)
      ps.push([pair[0]!, pair[1]!])
    }
  }
  const out: Array<StreamRead> = []
  for (const [k, es] of ps) {
    const stream = R.string(k)
    if (stream instanceof ReplyShape) return stream
    const decoded = entries(es)
    if (decoded instanceof ReplyShape) return decoded
    out.push({ stream, entries: decoded })
  }
  return out
}

const optionalEntry = R.optional(entry)

/** A fixed-length array decoded by `f` once its length is checked. */
const tuple = <A>(n: number, what: string, f: (items: ReadonlyArray<Resp.RespValue>) => A | ReplyShape) => (v: Resp.RespValue): A | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  return items.length < n ? new ReplyShape(what, v) : f(items)
}

/** Decodes `items[i]` with `fs[i]`, failing on the first bad one. */
const all = (items: ReadonlyArray<Resp.RespValue>, ...fs: ReadonlyArray<(v: Resp.RespValue) => unknown>): ReadonlyArray<unknown> | ReplyShape => {
  const out: Array<unknown> = []
  for (let i = 0; i < fs.length; i++) {
    const a = fs[i]!(items[i]!)
    if (a instanceof ReplyShape) return a
    out.push(a)
  }
  return out
}

const xautoclaimOf = <E>(f: (v: Resp.RespValue) => ReadonlyArray<E> | ReplyShape) =>
  tuple(2, "[next id, entries, deleted ids]", (items) => {
    const next = R.string(items[0]!)
    if (next instanceof ReplyShape) return next
    const claimed = f(items[1]!)
    if (claimed instanceof ReplyShape) return claimed
    // Servers before 7.0 send no third element.
    const deleted = items.length > 2 ? R.strings(items[2]!) : []
    if (deleted instanceof ReplyShape) return deleted
    return [next, claimed, deleted] as const
  })

const xautoclaimReply = (v: Resp.RespValue): XautoclaimResult | ReplyShape => {
  const r = xautoclaimOf(entries)(v)
  return r instanceof ReplyShape ? r : { nextId: r[0], entries: r[1], deletedIds: r[2] }
}

const xautoclaimJustIdReply = (v: Resp.RespValue): XautoclaimJustIdResult | ReplyShape => {
  const r = xautoclaimOf(R.strings)(v)
  return r instanceof ReplyShape ? r : { nextId: r[0], ids: r[1], deletedIds: r[2] }
}

const xpendingSummary = tuple(4, "[count, smallest, greatest, consumers]", (items): XpendingSummary | ReplyShape => {
  const parts = all(items, R.integer, R.optionalString, R.optionalString)
  if (parts instanceof ReplyShape) return parts
  const consumers = R.plain(items[3]!) === null
    ? []
    : R.arrayOf(items[3]!, tuple(2, "[consumer, count]", (c) => {
      const cs = all(c, R.string, R.integer)
      return cs instanceof ReplyShape ? cs : { name: cs[0] as string, count: cs[1] as number }
    }))
  if (consumers instanceof ReplyShape) return consumers
  return {
    count: parts[0] as number,
    smallestId: parts[1] as Option.Option<string>,
    greatestId: parts[2] as Option.Option<string>,
    consumers
  }
})

const xpendingEntry = tuple(4, "[id, consumer, idle, deliveries]", (items): XpendingEntry | ReplyShape => {
  const p = all(items, R.string, R.string, R.integer, R.integer)
  return p instanceof ReplyShape
    ? p
    : { id: p[0] as string, consumer: p[1] as string, idleMillis: p[2] as number, deliveryCount: p[3] as number }
})

/** The fields `XINFO STREAM` and `XINFO STREAM ... FULL` share, in reply order. */
const streamHead = (f: Fields): XinfoStreamHead => ({
  length: f.req("length", R.integer),
  radixTreeKeys: f.req("radix-tree-keys", R.integer),
  radixTreeNodes: f.req("radix-tree-nodes", R.integer),
  lastGeneratedId: f.req("last-generated-id", R.string),
  maxDeletedEntryId: f.req("max-deleted-entry-id", R.string),
  entriesAdded: f.req("entries-added", R.integer),
  ...f.opt("recorded-first-entry-id", "recordedFirstEntryId", R.string)
})

const xinfoStreamReply = R.fields((f): XinfoStream => ({
  ...streamHead(f),
  groups: f.req("groups", R.integer),
  firstEntry: f.req("first-entry", optionalEntry),
  lastEntry: f.req("last-entry", optionalEntry)
}))

const fullGroupPending = tuple(4, "[id, consumer, delivery time, deliveries]", (items) => {
  const p = all(items, R.string, R.string, R.integer, R.integer)
  return p instanceof ReplyShape
    ? p
    : { id: p[0] as string, consumer: p[1] as string, deliveryTime: p[2] as number, deliveryCount: p[3] as number }
})

const fullConsumerPending = tuple(3, "[id, delivery time, deliveries]", (items) => {
  const p = all(items, R.string, R.integer, R.integer)
  return p instanceof ReplyShape ? p : { id: p[0] as string, deliveryTime: p[1] as number, deliveryCount: p[2] as number }
})

const fullConsumer = R.fields((f): XinfoStreamFullGroup["consumers"][number] => ({
  name: f.req("name", R.string),
  seenTime: f.req("seen-time", R.integer),
  ...f.opt("active-time", "activeTime", R.integer),
  pelCount: f.req("pel-count", R.integer),
  pending: f.req("pending", (p) => R.arrayOf(p, fullConsumerPending))
}))

const fullGroup = R.fields((f): XinfoStreamFullGroup => ({
  name: f.req("name", R.string),
  lastDeliveredId: f.req("last-delivered-id", R.string),
  entriesRead: f.or("entries-read", R.optionalInteger, Option.none()),
  lag: f.or("lag", R.optionalInteger, Option.none()),
  pelCount: f.req("pel-count", R.integer),
  pending: f.req("pending", (p) => R.arrayOf(p, fullGroupPending)),
  consumers: f.req("consumers", (c) => R.arrayOf(c, fullConsumer))
}))

const xinfoStreamFullReply = R.fields((f): XinfoStreamFull => ({
  ...streamHead(f),
  entries: f.req("entries", entries),
  groups: f.req("groups", (g) => R.arrayOf(g, fullGroup))
}))

const xinfoGroup = R.fields((f): XinfoGroup => ({
  name: f.req("name", R.string),
  consumers: f.req("consumers", R.integer),
  pending: f.req("pending", R.integer),
  lastDeliveredId: f.req("last-delivered-id", R.string),
  entriesRead: f.or("entries-read", R.optionalInteger, Option.none()),
  lag: f.or("lag", R.optionalInteger, Option.none())
}))

const xinfoConsumer = R.fields((f): XinfoConsumer => ({
  name: f.req("name", R.string),
  pending: f.req("pending", R.integer),
  idle: f.req("idle", R.integer),
  ...f.opt("inactive", "inactive", R.integer)
}))

// ---------------------------------------------------------------------------------------------
// Arguments (module-private)

const trimArgs = (t: StreamTrim): Array<Resp.RespArg> => {
  const out: Array<Resp.RespArg> = t.minid !== undefined ? ["MINID"] : ["MAXLEN"]
  if (t.approximate === true) out.push("~")
  else if (t.approximate === false) out.push("=")
  out.push(t.minid !== undefined ? t.minid : t.maxlen!)
  if (t.limit !== undefined) out.push("LIMIT", t.limit)
  return out
}

const fieldArgs = (fields: StreamFields): Array<Resp.RespArg> => entriesOf(fields).flat()

const countArgs = (o: XrangeOptions | undefined): Array<Resp.RespArg> => (o?.count !== undefined ? ["COUNT", o.count] : [])

/** XREAD / XREADGROUP: a normal command, or a blocking one with `block`. */
const read = (
  name: string,
  head: ReadonlyArray<Resp.RespArg>,
  streams: StreamOffsets,
  options: XreadgroupOptions | undefined,
  flags: number
): Command<ReadonlyArray<StreamRead>> => {
  const ps = entriesOf(streams)
  const keys = ps.map(([k]) => k)
  const args: Array<Resp.RespArg> = [...head, ...countArgs(options)]
  if (options?.block !== undefined) args.push("BLOCK", options.block)
  if (options?.noack) args.push("NOACK")
  args.push("STREAMS", ...keys, ...ps.map(([, id]) => id))
  return options?.block !== undefined
    ? blocking(name, args, keys, flags, streamReads, options.block)
    : key(name, args, keys, flags, streamReads)
}

const claimArgs = (o: XclaimOptions | undefined): Array<Resp.RespArg> => {
  if (o === undefined) return []
  const out: Array<Resp.RespArg> = []
  if (o.idle !== undefined) out.push("IDLE", o.idle)
  if (o.time !== undefined) out.push("TIME", o.time)
  if (o.retryCount !== undefined) out.push("RETRYCOUNT", o.retryCount)
  if (o.force) out.push("FORCE")
  if (o.lastId !== undefined) out.push("LASTID", o.lastId)
  return out
}

// ---------------------------------------------------------------------------------------------
// Entries

/**
 * `XADD key [NOMKSTREAM] [trim] id field value ...`: the new entry's id (`id` `"*"` lets the server
 * choose); none when `nomkstream` is set and the stream does not exist.
 *
 * @since 0.1.0
 * @category streams
 */
export const xadd = (k: Arg, id: string, fields: StreamFields, options?: XaddOptions): Command<Option.Option<string>> => {
  const args: Array<Resp.RespArg> = ["XADD", k]
  if (options?.nomkstream) args.push("NOMKSTREAM")
  if (options?.trim !== undefined) args.push(...trimArgs(options.trim))
  args.push(id, ...fieldArgs(fields))
  return key("XADD", args, [k], 0, R.optionalString)
}

/**
 * `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n]`: how many entries were removed.
 *
 * @since 0.1.0
 * @category streams
 */
export const xtrim = (k: Arg, trim: StreamTrim): Command<number> => key("XTRIM", ["XTRIM", k, ...trimArgs(trim)], [k], 0, R.integer)

/**
 * `XDEL key id...`: how many entries were deleted.
 *
 * @since 0.1.0
 * @category streams
 */
export const xdel = (k: Arg, ...ids: ReadonlyArray<string>): Command<number> => key("XDEL", ["XDEL", k, ...ids], [k], 0, R.integer)

/**
 * `XLEN key`: the number of entries (0 when the stream does not exist).
 *
 * @since 0.1.0
 * @category streams
 */
export const xlen = (k: Arg): Command<number> => key("XLEN", ["XLEN", k], [k], READONLY, R.integer)

/**
 * `XRANGE key start end [COUNT n]`: the entries between two ids (`-`, `+`, `(` for exclusive), oldest first.
 *
 * @since 0.1.0
 * @category streams
 */
export const xrange = (k: Arg, start: string, end: string, options?: XrangeOptions): Command<ReadonlyArray<StreamEntry>> =>
  key("XRANGE", ["XRANGE", k, start, end, ...countArgs(options)], [k], READONLY, entries)

/**
 * `XREVRANGE key end start [COUNT n]`: the entries between two ids, newest first.
 *
 * @since 0.1.0
 * @category streams
 */
export const xrevrange = (k: Arg, end: string, start: string, options?: XrangeOptions): Command<ReadonlyArray<StreamEntry>> =>
  key("XREVRANGE", ["XREVRANGE", k, end, start, ...countArgs(options)], [k], READONLY, entries)

/**
 * `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`: sets the stream's last id.
 *
 * @since 0.1.0
 * @category streams
 */
export const xsetid = (k: Arg, lastId: string, options?: XsetidOptions): Command<void> => {
  const args: Array<Resp.RespArg> = ["XSETID", k, lastId]
  if (options?.entriesAdded !== undefined) args.push("ENTRIESADDED", options.entriesAdded)
  if (options?.maxDeletedId !== undefined) args.push("MAXDELETEDID", options.maxDeletedId)
  return key("XSETID", args, [k], 0, R.ok)
}

/**
 * `XREAD [COUNT n] [BLOCK ms] STREAMS key... id...`: the entries after each id, per stream that has
 * any ([] when none). The streams must share a slot. With `block` it runs on a blocking connection.
 *
 * @since 0.1.0
 * @category streams
 */
export const xread = (streams: StreamOffsets, options?: XreadOptions): Command<ReadonlyArray<StreamRead>> =>
  read("XREAD", ["XREAD"], streams, options, READONLY)

/**
 * `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...`: entries
 * delivered to `consumer` (id `>`: new ones; another id: its pending history, where deleted entries
 * have no fields), per stream. The streams must share a slot.
 *
 * @since 0.1.0
 * @category streams
 */
export const xreadgroup = (group: Arg, consumer: Arg, streams: StreamOffsets, options?: XreadgroupOptions): Command<ReadonlyArray<StreamRead>> =>
  read("XREADGROUP", ["XREADGROUP", "GROUP", group, consumer], streams, options, 0)

// ---------------------------------------------------------------------------------------------
// Consumer groups

/**
 * `XACK key group id...`: how many entries were acknowledged.
 *
 * @since 0.1.0
 * @category streams
 */
export const xack = (k: Arg, group: Arg, ...ids: ReadonlyArray<string>): Command<number> =>
  key("XACK", ["XACK", k, group, ...ids], [k], 0, R.integer)

/**
 * `XCLAIM key group consumer min-idle-time id... [options]`: the entries now owned by `consumer`.
 *
 * @since 0.1.0
 * @category streams
 */
export const xclaim = (
  k: Arg,
  group: Arg,
  consumer: Arg,
  minIdleMillis: number,
  ids: ReadonlyArray<string>,
  options?: XclaimOptions
): Command<ReadonlyArray<StreamEntry>> =>
  key("XCLAIM", ["XCLAIM", k, group, consumer, minIdleMillis, ...ids, ...claimArgs(options)], [k], 0, entries)

/**
 * `XCLAIM ... JUSTID`: the ids now owned by `consumer` (their delivery counters untouched).
 *
 * @since 0.1.0
 * @category streams
 */
export const xclaimJustId = (
  k: Arg,
  group: Arg,
  consumer: Arg,
  minIdleMillis: number,
  ids: ReadonlyArray<string>,
  options?: XclaimOptions
): Command<ReadonlyArray<string>> =>
  key("XCLAIM", ["XCLAIM", k, group, consumer, minIdleMillis, ...ids, ...claimArgs(options), "JUSTID"], [k], 0, R.strings)

/**
 * `XAUTOCLAIM key group consumer min-idle-time start [COUNT n]`: entries idle long enough, claimed
 * by `consumer`, with the cursor for the next call and the ids of entries that no longer exist.
 *
 * @since 0.1.0
 * @category streams
 */
export const xautoclaim = (
  k: Arg,
  group: Arg,
  consumer: Arg,
  minIdleMillis: number,
  start: string,
  options?: XautoclaimOptions
): Command<XautoclaimResult> =>
  key("XAUTOCLAIM", ["XAUTOCLAIM", k, group, consumer, minIdleMillis, start, ...countArgs(options)], [k], 0, xautoclaimReply)

/**
 * `XAUTOCLAIM ... JUSTID`: like `xautoclaim`, with ids only.
 *
 * @since 0.1.0
 * @category streams
 */
export const xautoclaimJustId = (
  k: Arg,
  group: Arg,
  consumer: Arg,
  minIdleMillis: number,
  start: string,
  options?: XautoclaimOptions
): Command<XautoclaimJustIdResult> =>
  key(
    "XAUTOCLAIM",
    ["XAUTOCLAIM", k, group, consumer, minIdleMillis, start, ...countArgs(options), "JUSTID"],
    [k],
    0,
    xautoclaimJustIdReply
  )

/**
 * `XPENDING key group`: the summary of the group's pending entries.
 *
 * @since 0.1.0
 * @category streams
 */
export const xpending = (k: Arg, group: Arg): Command<XpendingSummary> =>
  key("XPENDING", ["XPENDING", k, group], [k], READONLY, xpendingSummary)

/**
 * `XPENDING key group [IDLE ms] start end count [consumer]`: pending entries between two ids.
 *
 * @since 0.1.0
 * @category streams
 */
export const xpendingRange = (
  k: Arg,
  group: Arg,
  start: string,
  end: string,
  count: number,
  options?: XpendingRangeOptions
): Command<ReadonlyArray<XpendingEntry>> => {
  const args: Array<Resp.RespArg> = ["XPENDING", k, group]
  if (options?.idle !== undefined) args.push("IDLE", options.idle)
  args.push(start, end, count)
  if (options?.consumer !== undefined) args.push(options.consumer)
  return key("XPENDING", args, [k], READONLY, (v) => R.arrayOf(v, xpendingEntry))
}

/**
 * `XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]`: creates a consumer group.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupCreate = (k: Arg, group: Arg, id: string, options?: XgroupCreateOptions): Command<void> => {
  const args: Array<Resp.RespArg> = ["XGROUP", "CREATE", k, group, id]
  if (options?.mkstream) args.push("MKSTREAM")
  if (options?.entriesRead !== undefined) args.push("ENTRIESREAD", options.entriesRead)
  return key("XGROUP CREATE", args, [k], 0, R.ok)
}

/**
 * `XGROUP CREATECONSUMER key group consumer`: `true` when created, `false` when it existed.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupCreateconsumer = (k: Arg, group: Arg, consumer: Arg): Command<boolean> =>
  key("XGROUP CREATECONSUMER", ["XGROUP", "CREATECONSUMER", k, group, consumer], [k], 0, R.boolean)

/**
 * `XGROUP DELCONSUMER key group consumer`: how many pending entries the consumer had.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupDelconsumer = (k: Arg, group: Arg, consumer: Arg): Command<number> =>
  key("XGROUP DELCONSUMER", ["XGROUP", "DELCONSUMER", k, group, consumer], [k], 0, R.integer)

/**
 * `XGROUP DESTROY key group`: `true` when the group existed.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupDestroy = (k: Arg, group: Arg): Command<boolean> =>
  key("XGROUP DESTROY", ["XGROUP", "DESTROY", k, group], [k], 0, R.boolean)

/**
 * `XGROUP SETID key group id|$ [ENTRIESREAD n]`: sets the group's last delivered id.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupSetid = (k: Arg, group: Arg, id: string, options?: XgroupSetidOptions): Command<void> => {
  const args: Array<Resp.RespArg> = ["XGROUP", "SETID", k, group, id]
  if (options?.entriesRead !== undefined) args.push("ENTRIESREAD", options.entriesRead)
  return key("XGROUP SETID", args, [k], 0, R.ok)
}

/**
 * `XGROUP HELP`: the help lines.
 *
 * @since 0.1.0
 * @category streams
 */
export const xgroupHelp = (): Command<ReadonlyArray<string>> => keyless("XGROUP HELP", ["XGROUP", "HELP"], 0, R.strings)

// ---------------------------------------------------------------------------------------------
// Introspection

/**
 * `XINFO STREAM key`: the stream's length, ids, counters, first and last entries.
 *
 * @since 0.1.0
 * @category streams
 */
export const xinfoStream = (k: Arg): Command<XinfoStream> => key("XINFO STREAM", ["XINFO", "STREAM", k], [k], READONLY, xinfoStreamReply)

/**
 * `XINFO STREAM key FULL [COUNT n]`: the stream with its entries, groups, pending lists and consumers.
 *
 * @since 0.1.0
 * @category streams
 */
export const xinfoStreamFull = (k: Arg, options?: XrangeOptions): Command<XinfoStreamFull> =>
  key("XINFO STREAM", ["XINFO", "STREAM", k, "FULL", ...countArgs(options)], [k], READONLY, xinfoStreamFullReply)

/**
 * `XINFO GROUPS key`: the stream's consumer groups.
 *
 * @since 0.1.0
 * @category streams
 */
export const xinfoGroups = (k: Arg): Command<ReadonlyArray<XinfoGroup>> =>
  key("XINFO GROUPS", ["XINFO", "GROUPS", k], [k], READONLY, (v) => R.arrayOf(v, xinfoGroup))

/**
 * `XINFO CONSUMERS key group`: the group's consumers.
 *
 * @since 0.1.0
 * @category streams
 */
export const xinfoConsumers = (k: Arg, group: Arg): Command<ReadonlyArray<XinfoConsumer>> =>
  key("XINFO CONSUMERS", ["XINFO", "CONSUMERS", k, group], [k], READONLY, (v) => R.arrayOf(v, xinfoConsumer))

/**
 * `XINFO HELP`: the help lines.
 *
 * @since 0.1.0
 * @category streams
 */
export const xinfoHelp = (): Command<ReadonlyArray<string>> => keyless("XINFO HELP", ["XINFO", "HELP"], 0, R.strings)
