/**
 * Command constructors: server (`ACL`, `COMMAND`, `CONFIG`, `INFO`, `LATENCY`, `MEMORY`, `MODULE`,
 * `SLOWLOG`, persistence, `ROLE`, `TIME`, `DEBUG`...; and `WAIT`).
 *
 * Routing: configuration and ACL changes go to every node (masters and replicas) so the cluster
 * stays uniform; reads of uniform state (`CONFIG GET`, `ACL GETUSER`, `COMMAND ...`) go to any
 * master; per-node state (`INFO`, `LASTSAVE`, `SLOWLOG GET`, `LATENCY ...`, `MEMORY STATS`...) comes
 * back as a record by node address (`host:port`). Any fanned-out command sent with
 * `redis.executeOn(node, command)` gives that one node's part (`Command.info()` → its INFO record).
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Arg, Command, Decoder } from "../internal/command/command.js"
import { fanout, key, keyless, merge, onNode as nodeCommand, READONLY, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Types

/**
 * A key spec of `COMMAND INFO` (how the server finds a command's keys).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeySpec {
  /** `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `incomplete`... */
  readonly flags: ReadonlyArray<string>
  readonly notes: Option.Option<string>
  /** Where the search starts: `index` (`{ index }`), `keyword` (`{ keyword, startfrom }`) or `unknown`. */
  readonly beginSearch: KeySearch
  /** How keys are found from there: `range` (`{ lastkey, keystep, limit }`), `keynum` (`{ keynumidx, firstkey, keystep }`) or `unknown`. */
  readonly findKeys: KeySearch
}

/**
 * One step of a key spec.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeySearch {
  readonly type: string
  readonly spec: Readonly<Record<string, string | number>>
}

/**
 * One entry of `COMMAND` / `COMMAND INFO`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandInfo {
  /** Lower-case name; `container|sub` for subcommands. */
  readonly name: string
  /** Argument count including the name; negative: at least that many. */
  readonly arity: number
  /** `write`, `readonly`, `denyoom`, `admin`, `pubsub`, `noscript`, `blocking`, `loading`, `stale`, `fast`... */
  readonly flags: ReadonlyArray<string>
  readonly firstKey: number
  readonly lastKey: number
  readonly step: number
  /** `@read`, `@write`, `@slow`... */
  readonly aclCategories: ReadonlyArray<string>
  /** `request_policy:all_shards`, `response_policy:agg_sum`, `nondeterministic_output`... */
  readonly tips: ReadonlyArray<string>
  readonly keySpecs: ReadonlyArray<KeySpec>
  readonly subcommands: ReadonlyArray<CommandInfo>
}

/**
 * One argument in `COMMAND DOCS`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArgumentDoc {
  readonly name: string
  /** `string`, `integer`, `double`, `key`, `pattern`, `unix-time`, `pure-token`, `oneof`, `block`. */
  readonly type: string
  readonly displayText: Option.Option<string>
  readonly keySpecIndex: Option.Option<number>
  readonly token: Option.Option<string>
  readonly summary: Option.Option<string>
  readonly since: Option.Option<string>
  /** `optional`, `multiple`, `multiple_token`. */
  readonly flags: ReadonlyArray<string>
  readonly deprecatedSince: Option.Option<string>
  readonly value: Option.Option<string>
  /** Nested arguments of `oneof` and `block`. */
  readonly arguments: ReadonlyArray<ArgumentDoc>
}

/**
 * One command's `COMMAND DOCS` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandDoc {
  /** "" when the server has none (some module commands). */
  readonly summary: string
  readonly since: string
  readonly group: string
  readonly complexity: Option.Option<string>
  readonly module: Option.Option<string>
  /** `deprecated`, `syscmd`. */
  readonly docFlags: ReadonlyArray<string>
  readonly deprecatedSince: Option.Option<string>
  readonly replacedBy: Option.Option<string>
  /** `[version, change]` pairs. */
  readonly history: ReadonlyArray<readonly [string, string]>
  readonly arguments: ReadonlyArray<ArgumentDoc>
  /** By full name (`config|get`). */
  readonly subcommands: Readonly<Record<string, CommandDoc>>
}

/**
 * `ACL GETUSER`: a user's rules.
 *
 * @since 0.1.0
 * @category models
 */
export interface AclUserInfo {
  /** `on`/`off`, `nopass`, `skip-sanitize-payload`... */
  readonly flags: ReadonlyArray<string>
  /** SHA-256 hashes of the passwords. */
  readonly passwords: ReadonlyArray<string>
  /** Command rules (`+@all -debug`). */
  readonly commands: string
  /** Key patterns (`~*`, `%R~cache:*`). */
  readonly keys: string
  /** Channel patterns (`&*`). */
  readonly channels: string
  /** Selectors, each with `commands`, `keys`, `channels`. */
  readonly selectors: ReadonlyArray<Readonly<Record<string, string>>>
}

/**
 * One `ACL LOG` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface AclLogEntry {
  readonly count: number
  /** `command`, `key`, `channel`, `auth`. */
  readonly reason: string
  /** `toplevel`, `multi`, `lua`, `module`. */
  readonly context: string
  /** The command, key or channel refused. */
  readonly object: string
  readonly username: string
  readonly ageSeconds: number
  /** The client, as a `CLIENT LIST` line. */
  readonly clientInfo: string
  /** Every field as text (includes those above, and newer ones: `entry-id`...). */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * `ROLE`: the node's replication role.
 *
 * @since 0.1.0
 * @category models
 */
export type Role =
  | {
    readonly role: "master"
    readonly replicationOffset: number
    readonly replicas: ReadonlyArray<{ readonly host: string; readonly port: number; readonly replicationOffset: number }>
  }
  | {
    /** Redis says `slave`. */
    readonly role: "replica"
    readonly masterHost: string
    readonly masterPort: number
    /** `connect`, `connecting`, `sync`, `connected`, `handshake`... */
    readonly state: string
    /** -1 while not yet synced. */
    readonly replicationOffset: number
  }
  | { readonly role: "sentinel"; readonly masters: ReadonlyArray<string> }

/**
 * One `SLOWLOG GET` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface SlowlogEntry {
  /** Per node. */
  readonly id: number
  /** Unix time, seconds. */
  readonly timestamp: number
  readonly durationMicros: number
  readonly args: ReadonlyArray<string>
  /** `ip:port`. */
  readonly clientAddress: string
  readonly clientName: string
}

/**
 * One `LATENCY LATEST` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface LatencyLatest {
  readonly event: string
  /** Unix time, seconds, of the latest spike. */
  readonly timestamp: number
  readonly latestMillis: number
  readonly maxMillis: number
}

/**
 * One command's `LATENCY HISTOGRAM` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface LatencyHistogram {
  readonly calls: number
  /** `[bucket upper bound µs, calls]`, ascending. */
  readonly histogram: ReadonlyArray<readonly [number, number]>
}

/**
 * `MEMORY STATS`: numbers by field name; `db.N` fields hold their own numbers.
 *
 * @since 0.1.0
 * @category models
 */
export type MemoryStats = Readonly<Record<string, number | Readonly<Record<string, number>>>>

/**
 * One `MODULE LIST` entry.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModuleInfo {
  readonly name: string
  readonly ver: number
  readonly path: string
  readonly args: ReadonlyArray<string>
}

/**
 * Options of `MODULE LOADEX`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModuleLoadexOptions {
  /** Module configuration values (`CONFIG name value`...). */
  readonly configs?: Readonly<Record<string, Arg | number>>
  /** Module arguments (`ARGS ...`). */
  readonly args?: ReadonlyArray<Arg | number>
}

/**
 * A per-node result of a fanned-out command, by node address (`host:port`).
 *
 * @since 0.1.0
 * @category models
 */
export type ByNode<A> = Readonly<Record<string, A>>

// ---------------------------------------------------------------------------------------------
// Decoder helpers (module-private)

const strings = R.strings

const fieldMap = R.fieldMap

/** Reads fields of one map reply, remembering the first failure instead of throwing. */
class Fields {
  failure: ReplyShape | undefined = undefined
  constructor(readonly map: ReadonlyMap<string, Resp.RespValue>, readonly whole: Resp.RespValue) {}
  check<A>(x: A | ReplyShape, fallback: A): A {
    if (x instanceof ReplyShape) {
      this.failure ??= x
      return fallback
    }
    return x
  }
  /** A required field. */
  need<A>(name: string, decode: Decoder<A>, fallback: A): A {
    const v = this.map.get(name)
    if (v === undefined) {
      this.failure ??= new ReplyShape(`a field "${name}"`, this.whole)
      return fallback
    }
    return this.check(decode(v), fallback)
  }
  /** A field that may be absent (then `fallback`). */
  or<A>(name: string, decode: Decoder<A>, fallback: A): A {
    const v = this.map.get(name)
    return v === undefined ? fallback : this.check(decode(v), fallback)
  }
  /** A field that may be absent or nil. */
  option<A>(name: string, decode: Decoder<A>): Option.Option<A> {
    const v = this.map.get(name)
    if (v === undefined || R.plain(v) === null) return Option.none()
    const a = decode(v)
    return a instanceof ReplyShape ? this.check(a, Option.none()) : Option.some(a)
  }
}

const struct = <A>(v: Resp.RespValue, build: (f: Fields) => A): A | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const f = new Fields(m, v)
  const a = build(f)
  return f.failure ?? a
}

/** Each element of an array reply, read as a fixed-length tuple. */
const tuple = <A>(v: Resp.RespValue, min: number, build: (items: ReadonlyArray<Resp.RespValue>, f: Fields) => A): A | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  if (items.length < min) return new ReplyShape(`an array of at least ${min}`, v)
  const f = new Fields(new Map(), v)
  const a = build(items, f)
  return f.failure ?? a
}

const searchSpec = (v: Resp.RespValue): Readonly<Record<string, string | number>> | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const out = R.newRecord<string | number>()
  for (const [k, x] of m) {
    const p = R.plain(x)
    if (typeof p === "number") out[k] = p
    else {
      const s = R.string(p)
      if (s instanceof ReplyShape) return s
      out[k] = s
    }
  }
  return out
}

const keySearch = (v: Resp.RespValue): KeySearch | ReplyShape =>
  struct(v, (f) => ({ type: f.need("type", R.string, ""), spec: f.or("spec", searchSpec, {}) }))

const keySpec = (v: Resp.RespValue): KeySpec | ReplyShape =>
  struct(v, (f) => ({
    flags: f.or("flags", strings, []),
    notes: f.option("notes", R.string),
    beginSearch: f.need("begin_search", keySearch, { type: "", spec: {} }),
    findKeys: f.need("find_keys", keySearch, { type: "", spec: {} })
  }))

const commandInfoEntry = (v: Resp.RespValue): CommandInfo | ReplyShape =>
  tuple(v, 6, (items, f) => ({
    name: f.check(R.string(items[0]!), ""),
    arity: f.check(R.integer(items[1]!), 0),
    flags: f.check(strings(items[2]!), []),
    firstKey: f.check(R.integer(items[3]!), 0),
    lastKey: f.check(R.integer(items[4]!), 0),
    step: f.check(R.integer(items[5]!), 0),
    aclCategories: items[6] === undefined ? [] : f.check(strings(items[6]), []),
    tips: items[7] === undefined ? [] : f.check(strings(items[7]), []),
    keySpecs: items[8] === undefined ? [] : f.check(R.arrayOf(items[8], keySpec), []),
    subcommands: items[9] === undefined ? [] : f.check(R.arrayOf(items[9], commandInfoEntry), [])
  }))

const optionalCommandInfo = (v: Resp.RespValue): Option.Option<CommandInfo> | ReplyShape => {
  if (R.plain(v) === null) return Option.none()
  const c = commandInfoEntry(v)
  return c instanceof ReplyShape ? c : Option.some(c)
}

const argumentDoc = (v: Resp.RespValue): ArgumentDoc | ReplyShape =>
  struct(v, (f) => ({
    name: f.need("name", R.string, ""),
    type: f.need("type", R.string, ""),
    displayText: f.option("display_text", R.string),
    keySpecIndex: f.option("key_spec_index", R.integer),
    token: f.option("token", R.string),
    summary: f.option("summary", R.string),
    since: f.option("since", R.string),
    flags: f.or("flags", strings, []),
    deprecatedSince: f.option("deprecated_since", R.string),
    value: f.option("value", R.string),
    arguments: f.or("arguments", (x) => R.arrayOf(x, argumentDoc), [])
  }))

const historyEntry = (v: Resp.RespValue): readonly [string, string] | ReplyShape =>
  tuple(v, 2, (items, f) => [f.check(R.string(items[0]!), ""), f.check(R.string(items[1]!), "")] as const)

const commandDoc = (v: Resp.RespValue): CommandDoc | ReplyShape =>
  struct(v, (f) => ({
    summary: f.or("summary", R.string, ""),
    since: f.or("since", R.string, ""),
    group: f.or("group", R.string, ""),
    complexity: f.option("complexity", R.string),
    module: f.option("module", R.string),
    docFlags: f.or("doc_flags", strings, []),
    deprecatedSince: f.option("deprecated_since", R.string),
    replacedBy: f.option("replaced_by", R.string),
    history: f.or("history", (x) => R.arrayOf(x, historyEntry), []),
    arguments: f.or("arguments", (x) => R.arrayOf(x, argumentDoc), []),
    subcommands: f.or("subcommands", docsReply, R.newRecord<CommandDoc>())
  }))

const docsReply = (v: Resp.RespValue): Readonly<Record<string, CommandDoc>> | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const out = R.newRecord<CommandDoc>()
  for (const [name, doc] of m) {
    const d = commandDoc(doc)
    if (d instanceof ReplyShape) return d
    out[name] = d
  }
  return out
}

const keyAndFlags = (v: Resp.RespValue): { readonly key: string; readonly flags: ReadonlyArray<string> } | ReplyShape =>
  tuple(v, 2, (items, f) => ({ key: f.check(R.string(items[0]!), ""), flags: f.check(strings(items[1]!), []) }))

const aclUser = (v: Resp.RespValue): Option.Option<AclUserInfo> | ReplyShape => {
  if (R.plain(v) === null) return Option.none()
  const u = struct(v, (f) => ({
    flags: f.need("flags", strings, []),
    passwords: f.or("passwords", strings, []),
    commands: f.or("commands", R.string, ""),
    keys: f.or("keys", R.string, ""),
    channels: f.or("channels", R.string, ""),
    selectors: f.or("selectors", (x) => R.arrayOf(x, R.record), [])
  }))
  return u instanceof ReplyShape ? u : Option.some(u)
}

const aclLogEntry = (v: Resp.RespValue): AclLogEntry | ReplyShape =>
  struct(v, (f) => ({
    count: f.need("count", R.integer, 0),
    reason: f.need("reason", R.string, ""),
    context: f.need("context", R.string, ""),
    object: f.need("object", R.string, ""),
    username: f.need("username", R.string, ""),
    ageSeconds: f.need("age-seconds", R.double, 0),
    clientInfo: f.need("client-info", R.string, ""),
    fields: f.check(R.record(v), R.newRecord<string>())
  }))

const dryrun = (v: Resp.RespValue): Option.Option<string> | ReplyShape => {
  const s = R.string(v)
  if (s instanceof ReplyShape) return s
  return s === "OK" ? Option.none() : Option.some(s)
}

const roleReply = (v: Resp.RespValue): Role | ReplyShape =>
  tuple(v, 2, (items, f): Role => {
    const kind = f.check(R.string(items[0]!), "")
    switch (kind) {
      case "master":
        return {
          role: "master",
          replicationOffset: f.check(R.integer(items[1]!), 0),
          replicas: items[2] === undefined ? [] : f.check(
            R.arrayOf(items[2], (r) =>
              tuple(r, 3, (xs, g) => ({
                host: g.check(R.string(xs[0]!), ""),
                port: g.check(R.integer(xs[1]!), 0),
                replicationOffset: g.check(R.integer(xs[2]!), 0)
              }))),
            []
          )
        }
      case "slave":
      case "replica":
        if (items.length < 5) f.check(new ReplyShape("a replica ROLE of 5 elements", v), 0)
        return {
          role: "replica",
          masterHost: f.check(R.string(items[1]!), ""),
          masterPort: f.check(R.integer(items[2] ?? null), 0),
          state: f.check(R.string(items[3] ?? null), ""),
          replicationOffset: f.check(R.integer(items[4] ?? null), 0)
        }
      case "sentinel":
        return { role: "sentinel", masters: f.check(strings(items[1]!), []) }
      default:
        f.check(new ReplyShape("master, slave or sentinel", v), 0)
        return { role: "sentinel", masters: [] }
    }
  })

const slowlogEntry = (v: Resp.RespValue): SlowlogEntry | ReplyShape =>
  tuple(v, 4, (items, f) => ({
    id: f.check(R.integer(items[0]!), 0),
    timestamp: f.check(R.integer(items[1]!), 0),
    durationMicros: f.check(R.integer(items[2]!), 0),
    args: f.check(strings(items[3]!), []),
    clientAddress: items[4] === undefined ? "" : f.check(R.string(items[4]), ""),
    clientName: items[5] === undefined ? "" : f.check(R.string(items[5]), "")
  }))

const latestEntry = (v: Resp.RespValue): LatencyLatest | ReplyShape =>
  tuple(v, 4, (items, f) => ({
    event: f.check(R.string(items[0]!), ""),
    timestamp: f.check(R.integer(items[1]!), 0),
    latestMillis: f.check(R.integer(items[2]!), 0),
    maxMillis: f.check(R.integer(items[3]!), 0)
  }))

const latencySample = (v: Resp.RespValue): readonly [number, number] | ReplyShape =>
  tuple(v, 2, (items, f) => [f.check(R.integer(items[0]!), 0), f.check(R.integer(items[1]!), 0)] as const)

const numberPairs = (v: Resp.RespValue): ReadonlyArray<readonly [number, number]> | ReplyShape => {
  const ps = R.pairs(v)
  if (ps instanceof ReplyShape) return ps
  const out: Array<readonly [number, number]> = []
  for (const [k, n] of ps) {
    const a = R.integer(k)
    if (a instanceof ReplyShape) return a
    const b = R.integer(n)
    if (b instanceof ReplyShape) return b
    out.push([a, b])
  }
  return out.sort((x, y) => x[0] - y[0])
}

const latencyHistograms = (v: Resp.RespValue): Readonly<Record<string, LatencyHistogram>> | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const out = R.newRecord<LatencyHistogram>()
  for (const [name, h] of m) {
    const e = struct(h, (f) => ({ calls: f.need("calls", R.integer, 0), histogram: f.need("histogram_usec", numberPairs, []) }))
    if (e instanceof ReplyShape) return e
    out[name] = e
  }
  return out
}

const memoryStatsReply = (v: Resp.RespValue): MemoryStats | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const out = R.newRecord<number | Readonly<Record<string, number>>>()
  for (const [name, x] of m) {
    const p = R.plain(x)
    if (Array.isArray(p) || p instanceof Map) {
      const inner = fieldMap(p)
      if (inner instanceof ReplyShape) return inner
      const nested = R.newRecord<number>()
      for (const [k, n] of inner) {
        const d = R.double(n)
        if (d instanceof ReplyShape) return d
        nested[k] = d
      }
      out[name] = nested
    } else {
      const d = R.double(p)
      if (d instanceof ReplyShape) return d
      out[name] = d
    }
  }
  return out
}

const moduleInfo = (v: Resp.RespValue): ModuleInfo | ReplyShape =>
  struct(v, (f) => ({
    name: f.need("name", R.string, ""),
    ver: f.need("ver", R.integer, 0),
    path: f.or("path", R.string, ""),
    args: f.or("args", strings, [])
  }))

const optionalInteger = (v: Resp.RespValue): Option.Option<number> | ReplyShape => {
  if (R.plain(v) === null) return Option.none()
  const n = R.integer(v)
  return n instanceof ReplyShape ? n : Option.some(n)
}

const timeReply = (v: Resp.RespValue): readonly [number, number] | ReplyShape =>
  tuple(v, 2, (items, f) => [f.check(R.integer(items[0]!), 0), f.check(R.integer(items[1]!), 0)] as const)

/** A command that acts on the node it is sent to: only `executeOn(node, command)` runs it. */
const onNode = nodeCommand

// ---------------------------------------------------------------------------------------------
// ACL: reads go to any master; changes go to every node (ACLs are per node)

/**
 * `ACL CAT [category]`: the ACL categories, or the commands of one.
 *
 * @since 0.1.0
 * @category server
 */
export const aclCat = (category?: string): Command<ReadonlyArray<string>> =>
  keyless("ACL CAT", category === undefined ? ["ACL", "CAT"] : ["ACL", "CAT", category], 0, strings)

/**
 * `ACL DELUSER username...` on every node: how many users were deleted (the most any node deleted).
 *
 * @since 0.1.0
 * @category server
 */
export const aclDeluser = (...usernames: ReadonlyArray<string>) =>
  fanout("ACL DELUSER", ["ACL", "DELUSER", ...usernames], 0, "nodes", R.integer, merge.max)

/**
 * `ACL DRYRUN username command arg...`: none when the user may run it, else the reason it may not.
 *
 * @since 0.1.0
 * @category server
 */
export const aclDryrun = (username: string, command: string, ...args: ReadonlyArray<Arg | number>): Command<Option.Option<string>> =>
  keyless("ACL DRYRUN", ["ACL", "DRYRUN", username, command, ...args], 0, dryrun)

/**
 * `ACL GENPASS [bits]`: a random password (hex; 256 bits by default).
 *
 * @since 0.1.0
 * @category server
 */
export const aclGenpass = (bits?: number): Command<string> =>
  keyless("ACL GENPASS", bits === undefined ? ["ACL", "GENPASS"] : ["ACL", "GENPASS", bits], 0, R.string)

/**
 * `ACL GETUSER username`: the user's rules, or none when there is no such user.
 *
 * @since 0.1.0
 * @category server
 */
export const aclGetuser = (username: string): Command<Option.Option<AclUserInfo>> =>
  keyless("ACL GETUSER", ["ACL", "GETUSER", username], 0, aclUser)

/**
 * `ACL HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const aclHelp = (): Command<ReadonlyArray<string>> => keyless("ACL HELP", ["ACL", "HELP"], 0, strings)

/**
 * `ACL LIST`: every user's rules, one ACL file line per user.
 *
 * @since 0.1.0
 * @category server
 */
export const aclList = (): Command<ReadonlyArray<string>> => keyless("ACL LIST", ["ACL", "LIST"], 0, strings)

/**
 * `ACL LOAD` on every node: reload the ACL file (fails when no `aclfile` is configured).
 *
 * @since 0.1.0
 * @category server
 */
export const aclLoad = () => fanout("ACL LOAD", ["ACL", "LOAD"], 0, "nodes", R.ok, merge.first)

/**
 * `ACL LOG [count]` on every node: each node's recent ACL denials (newest first), by node address.
 * Denials are logged where they happen, so every node is asked.
 *
 * @since 0.1.0
 * @category server
 */
export const aclLog = (count?: number) =>
  fanout("ACL LOG", count === undefined ? ["ACL", "LOG"] : ["ACL", "LOG", count], 0, "nodes", (v) => R.arrayOf(v, aclLogEntry), merge.byNode)

/**
 * `ACL LOG RESET` on every node.
 *
 * @since 0.1.0
 * @category server
 */
export const aclLogReset = () => fanout("ACL LOG", ["ACL", "LOG", "RESET"], 0, "nodes", R.ok, merge.first)

/**
 * `ACL SAVE` on every node: write the ACL file (fails when no `aclfile` is configured).
 *
 * @since 0.1.0
 * @category server
 */
export const aclSave = () => fanout("ACL SAVE", ["ACL", "SAVE"], 0, "nodes", R.ok, merge.first)

/**
 * `ACL SETUSER username rule...` on every node (`"on"`, `">password"`, `"~keys:*"`, `"+@read"`...).
 *
 * @since 0.1.0
 * @category server
 */
export const aclSetuser = (username: string, ...rules: ReadonlyArray<string>) =>
  fanout("ACL SETUSER", ["ACL", "SETUSER", username, ...rules], 0, "nodes", R.ok, merge.first)

/**
 * `ACL USERS`: the user names.
 *
 * @since 0.1.0
 * @category server
 */
export const aclUsers = (): Command<ReadonlyArray<string>> => keyless("ACL USERS", ["ACL", "USERS"], 0, strings)

/**
 * `ACL WHOAMI`: the user the client's connections are authenticated as.
 *
 * @since 0.1.0
 * @category server
 */
export const aclWhoami = (): Command<string> => keyless("ACL WHOAMI", ["ACL", "WHOAMI"], 0, R.string)

// ---------------------------------------------------------------------------------------------
// COMMAND: any master

/**
 * `COMMAND`: every command the server knows, with its arity, flags, key specs and subcommands.
 *
 * @since 0.1.0
 * @category server
 */
export const command = (): Command<ReadonlyArray<CommandInfo>> =>
  keyless("COMMAND", ["COMMAND"], 0, (v) => R.arrayOf(v, commandInfoEntry))

/**
 * `COMMAND COUNT`: how many commands the server has (subcommands not counted).
 *
 * @since 0.1.0
 * @category server
 */
export const commandCount = (): Command<number> => keyless("COMMAND COUNT", ["COMMAND", "COUNT"], 0, R.integer)

/**
 * `COMMAND DOCS [name...]`: documentation by command name (every command when none is named; unknown names are left out).
 *
 * @since 0.1.0
 * @category server
 */
export const commandDocs = (...names: ReadonlyArray<string>): Command<Readonly<Record<string, CommandDoc>>> =>
  keyless("COMMAND DOCS", ["COMMAND", "DOCS", ...names], 0, docsReply)


/**
 * `COMMAND GETKEYS command arg...`: the keys the server finds in a command line.
 *
 * @since 0.1.0
 * @category server
 */
export const commandGetkeys = (command: string, ...args: ReadonlyArray<Arg | number>): Command<ReadonlyArray<string>> =>
  keyless("COMMAND GETKEYS", ["COMMAND", "GETKEYS", command, ...args], 0, strings)

/**
 * `COMMAND GETKEYSANDFLAGS command arg...`: the keys with their key-spec flags (`RW`, `access`...).
 *
 * @since 0.1.0
 * @category server
 */
export const commandGetkeysandflags = (
  command: string,
  ...args: ReadonlyArray<Arg | number>
): Command<ReadonlyArray<{ readonly key: string; readonly flags: ReadonlyArray<string> }>> =>
  keyless("COMMAND GETKEYSANDFLAGS", ["COMMAND", "GETKEYSANDFLAGS", command, ...args], 0, (v) => R.arrayOf(v, keyAndFlags))

/**
 * `COMMAND HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const commandHelp = (): Command<ReadonlyArray<string>> => keyless("COMMAND HELP", ["COMMAND", "HELP"], 0, strings)

/**
 * `COMMAND INFO [name...]`: each named command's entry in order, none for unknown names (every command when none is named).
 *
 * @since 0.1.0
 * @category server
 */
export const commandInfo = (...names: ReadonlyArray<string>): Command<ReadonlyArray<Option.Option<CommandInfo>>> =>
  keyless("COMMAND INFO", ["COMMAND", "INFO", ...names], 0, (v) => R.arrayOf(v, optionalCommandInfo))

/**
 * `COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]`: command names (subcommands as `container|sub`).
 *
 * @since 0.1.0
 * @category server
 */
export const commandList = (
  filter?: { readonly module: string } | { readonly aclcat: string } | { readonly pattern: string }
): Command<ReadonlyArray<string>> => {
  const args: Array<Resp.RespArg> = ["COMMAND", "LIST"]
  if (filter !== undefined) {
    if ("module" in filter) args.push("FILTERBY", "MODULE", filter.module)
    else if ("aclcat" in filter) args.push("FILTERBY", "ACLCAT", filter.aclcat)
    else args.push("FILTERBY", "PATTERN", filter.pattern)
  }
  return keyless("COMMAND LIST", args, 0, strings)
}

// ---------------------------------------------------------------------------------------------
// CONFIG

/**
 * `CONFIG GET parameter...` (patterns allowed) from any master: the values by name.
 *
 * @since 0.1.0
 * @category server
 */
export const configGet = (...parameters: ReadonlyArray<string>): Command<Readonly<Record<string, string>>> =>
  keyless("CONFIG GET", ["CONFIG", "GET", ...parameters], 0, R.record)

/**
 * `CONFIG SET parameter value ...` on every node (all or nothing on each node).
 *
 * @since 0.1.0
 * @category server
 */
export const configSet = (parameters: Readonly<Record<string, string | number>>) =>
  fanout("CONFIG SET", ["CONFIG", "SET", ...Object.entries(parameters).flat()], 0, "nodes", R.ok, merge.first)

/**
 * `CONFIG RESETSTAT` on every node: reset the INFO statistics.
 *
 * @since 0.1.0
 * @category server
 */
export const configResetstat = () => fanout("CONFIG RESETSTAT", ["CONFIG", "RESETSTAT"], 0, "nodes", R.ok, merge.first)

/**
 * `CONFIG REWRITE` on every node: write the running config to each node's config file (fails without one).
 *
 * @since 0.1.0
 * @category server
 */
export const configRewrite = () => fanout("CONFIG REWRITE", ["CONFIG", "REWRITE"], 0, "nodes", R.ok, merge.first)

/**
 * `CONFIG HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const configHelp = (): Command<ReadonlyArray<string>> => keyless("CONFIG HELP", ["CONFIG", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// Keyspace and persistence

/**
 * `DBSIZE` on every master, added up: the number of keys in the cluster.
 *
 * @since 0.1.0
 * @category server
 */
export const dbsize = () => fanout("DBSIZE", ["DBSIZE"], READONLY, "masters", R.integer, merge.sum)

/**
 * `FLUSHALL [ASYNC|SYNC]` on every master: removes every key of the cluster.
 *
 * @since 0.1.0
 * @category server
 */
export const flushall = (mode?: "ASYNC" | "SYNC") =>
  fanout("FLUSHALL", mode === undefined ? ["FLUSHALL"] : ["FLUSHALL", mode], 0, "masters", R.ok, merge.first)

/**
 * `FLUSHDB [ASYNC|SYNC]` on every master (database 0 is the only one).
 *
 * @since 0.1.0
 * @category server
 */
export const flushdb = (mode?: "ASYNC" | "SYNC") =>
  fanout("FLUSHDB", mode === undefined ? ["FLUSHDB"] : ["FLUSHDB", mode], 0, "masters", R.ok, merge.first)

/**
 * `SAVE` on every node: a synchronous snapshot (blocks each node while it writes).
 *
 * @since 0.1.0
 * @category server
 */
export const save = () => fanout("SAVE", ["SAVE"], 0, "nodes", R.ok, merge.first)

/**
 * `BGSAVE [SCHEDULE]` on every node: the first node's status ("Background saving started", or
 * "... scheduled" with `schedule` while a rewrite runs).
 *
 * @since 0.1.0
 * @category server
 */
export const bgsave = (options?: { readonly schedule?: boolean }) =>
  fanout("BGSAVE", options?.schedule ? ["BGSAVE", "SCHEDULE"] : ["BGSAVE"], 0, "nodes", R.string, merge.first)

/**
 * `BGREWRITEAOF` on every node: the first node's status ("Background append only file rewriting started"/"scheduled").
 *
 * @since 0.1.0
 * @category server
 */
export const bgrewriteaof = () => fanout("BGREWRITEAOF", ["BGREWRITEAOF"], 0, "nodes", R.string, merge.first)

/**
 * `LASTSAVE` on every node: each node's last successful save, Unix seconds, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const lastsave = () => fanout("LASTSAVE", ["LASTSAVE"], 0, "nodes", R.integer, merge.byNode)

// ---------------------------------------------------------------------------------------------
// INFO, ROLE, TIME, LOLWUT

/**
 * `INFO [section...]` on every node (masters and replicas): each node's fields (`redis_version`,
 * `used_memory`...), by node address. `redis.executeOn(node, Command.info())` gives one node's record.
 *
 * @since 0.1.0
 * @category server
 */
export const info = (...sections: ReadonlyArray<string>) =>
  fanout("INFO", ["INFO", ...sections], 0, "nodes", R.infoLines, merge.byNode)

/**
 * `ROLE` of any master (`executeOn` for a given node): master with its replicas, replica with its master, or sentinel.
 *
 * @since 0.1.0
 * @category server
 */
export const role = (): Command<Role> => keyless("ROLE", ["ROLE"], 0, roleReply)


/**
 * `TIME` of any master: `[unix seconds, microseconds]`.
 *
 * @since 0.1.0
 * @category server
 */
export const time = (): Command<readonly [number, number]> => keyless("TIME", ["TIME"], 0, timeReply)


/**
 * `LOLWUT [VERSION v]`: the Redis version and a piece of generative art.
 *
 * @since 0.1.0
 * @category server
 */
export const lolwut = (version?: number): Command<string> =>
  keyless("LOLWUT", version === undefined ? ["LOLWUT"] : ["LOLWUT", "VERSION", version], READONLY, R.string)

// ---------------------------------------------------------------------------------------------
// LATENCY: every node (request_policy:all_nodes)

/**
 * `LATENCY DOCTOR` on every node: each node's latency report, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyDoctor = () =>
  fanout("LATENCY DOCTOR", ["LATENCY", "DOCTOR"], 0, "nodes", R.string, merge.byNode)

/**
 * `LATENCY GRAPH event` on every node: each node's ASCII graph of the event, by node address. A node
 * without samples of the event answers with an error (which fails the whole command): use
 * `redis.executeOn(node, Command.latencyGraph(event))` for the node that has them.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyGraph = (event: string) =>
  fanout("LATENCY GRAPH", ["LATENCY", "GRAPH", event], 0, "nodes", R.string, merge.byNode)

/**
 * `LATENCY HISTOGRAM [command...]` on every node: per-command latency histograms, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyHistogram = (...commands: ReadonlyArray<string>) =>
  fanout("LATENCY HISTOGRAM", ["LATENCY", "HISTOGRAM", ...commands], 0, "nodes", latencyHistograms, merge.byNode)

/**
 * `LATENCY HISTORY event` on every node: `[unix seconds, latency ms]` samples, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyHistory = (event: string) =>
  fanout("LATENCY HISTORY", ["LATENCY", "HISTORY", event], 0, "nodes", (v) => R.arrayOf(v, latencySample), merge.byNode)

/**
 * `LATENCY LATEST` on every node: the latest spike of each event, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyLatest = () =>
  fanout("LATENCY LATEST", ["LATENCY", "LATEST"], 0, "nodes", (v) => R.arrayOf(v, latestEntry), merge.byNode)


/**
 * `LATENCY RESET [event...]` on every node: how many event series were reset, added over the nodes.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyReset = (...events: ReadonlyArray<string>) =>
  fanout("LATENCY RESET", ["LATENCY", "RESET", ...events], 0, "nodes", R.integer, merge.sum)

/**
 * `LATENCY HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const latencyHelp = (): Command<ReadonlyArray<string>> => keyless("LATENCY HELP", ["LATENCY", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// MEMORY: every master (request_policy:all_shards); USAGE by key

/**
 * `MEMORY DOCTOR` on every master: each master's memory report, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryDoctor = () =>
  fanout("MEMORY DOCTOR", ["MEMORY", "DOCTOR"], 0, "masters", R.string, merge.byNode)

/**
 * `MEMORY MALLOC-STATS` on every master: each allocator report, by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryMallocStats = () =>
  fanout("MEMORY MALLOC-STATS", ["MEMORY", "MALLOC-STATS"], 0, "masters", R.string, merge.byNode)

/**
 * `MEMORY PURGE` on every master: ask the allocator to release memory.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryPurge = () => fanout("MEMORY PURGE", ["MEMORY", "PURGE"], 0, "masters", R.ok, merge.first)

/**
 * `MEMORY STATS` on every master: each master's memory figures (`peak.allocated`, `dataset.bytes`...), by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryStats = () =>
  fanout("MEMORY STATS", ["MEMORY", "STATS"], 0, "masters", memoryStatsReply, merge.byNode)


/**
 * `MEMORY USAGE key [SAMPLES n]`: bytes used by the key and its value, or none when the key does not exist.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryUsage = (k: Arg, options?: { readonly samples?: number }): Command<Option.Option<number>> =>
  key("MEMORY USAGE", options?.samples === undefined ? ["MEMORY", "USAGE", k] : ["MEMORY", "USAGE", k, "SAMPLES", options.samples], [k], READONLY, optionalInteger)

/**
 * `MEMORY HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const memoryHelp = (): Command<ReadonlyArray<string>> => keyless("MEMORY HELP", ["MEMORY", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// MODULE: loads on every node; LIST from any master

/**
 * `MODULE LIST` of any master: the loaded modules.
 *
 * @since 0.1.0
 * @category server
 */
export const moduleList = (): Command<ReadonlyArray<ModuleInfo>> =>
  keyless("MODULE LIST", ["MODULE", "LIST"], 0, (v) => R.arrayOf(v, moduleInfo))

/**
 * `MODULE LOAD path [arg...]` on every node.
 *
 * @since 0.1.0
 * @category server
 */
export const moduleLoad = (path: string, ...args: ReadonlyArray<Arg | number>) =>
  fanout("MODULE LOAD", ["MODULE", "LOAD", path, ...args], 0, "nodes", R.ok, merge.first)

/**
 * `MODULE LOADEX path [CONFIG name value ...] [ARGS arg...]` on every node.
 *
 * @since 0.1.0
 * @category server
 */
export const moduleLoadex = (path: string, options?: ModuleLoadexOptions) => {
  const args: Array<Resp.RespArg> = ["MODULE", "LOADEX", path]
  for (const [name, value] of Object.entries(options?.configs ?? {})) args.push("CONFIG", name, value)
  if (options?.args !== undefined && options.args.length > 0) args.push("ARGS", ...options.args)
  return fanout("MODULE LOADEX", args, 0, "nodes", R.ok, merge.first)
}

/**
 * `MODULE UNLOAD name` on every node.
 *
 * @since 0.1.0
 * @category server
 */
export const moduleUnload = (name: string) =>
  fanout("MODULE UNLOAD", ["MODULE", "UNLOAD", name], 0, "nodes", R.ok, merge.first)

/**
 * `MODULE HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const moduleHelp = (): Command<ReadonlyArray<string>> => keyless("MODULE HELP", ["MODULE", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// SLOWLOG: every node (request_policy:all_nodes)

/**
 * `SLOWLOG GET [count]` on every node: each node's slowest recent commands (newest first; ids per node), by node address.
 *
 * @since 0.1.0
 * @category server
 */
export const slowlogGet = (count?: number) =>
  fanout("SLOWLOG GET", count === undefined ? ["SLOWLOG", "GET"] : ["SLOWLOG", "GET", count], 0, "nodes", (v) => R.arrayOf(v, slowlogEntry), merge.byNode)

/**
 * `SLOWLOG LEN` on every node, added up.
 *
 * @since 0.1.0
 * @category server
 */
export const slowlogLen = () => fanout("SLOWLOG LEN", ["SLOWLOG", "LEN"], 0, "nodes", R.integer, merge.sum)

/**
 * `SLOWLOG RESET` on every node.
 *
 * @since 0.1.0
 * @category server
 */
export const slowlogReset = () => fanout("SLOWLOG RESET", ["SLOWLOG", "RESET"], 0, "nodes", R.ok, merge.first)

/**
 * `SLOWLOG HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category server
 */
export const slowlogHelp = (): Command<ReadonlyArray<string>> => keyless("SLOWLOG HELP", ["SLOWLOG", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// One node only: redis.executeOn(node, ...)

/**
 * `DEBUG subcommand arg...` (`SLEEP`, `OBJECT`, `RELOAD`...) on one node, its reply as it came:
 * `redis.executeOn(node, Command.debug("SLEEP", 0))`; `redis.debug(...)` refuses, since DEBUG is
 * about one particular node.
 *
 * @since 0.1.0
 * @category server
 */
export const debug = (subcommand: string, ...args: ReadonlyArray<Arg | number>): Command<Resp.RespValue> =>
  onNode("DEBUG", ["DEBUG", subcommand, ...args], 0, R.raw)

/**
 * `WAIT numreplicas timeout` on one master: how many of its replicas acknowledged every write sent
 * before it on that master's shared connection (the one that carries this client's writes there).
 * Send it to the master that took the writes: `redis.executeOn(master, Command.wait(1, 100))`
 * (`redis.wait` refuses: WAIT is only meaningful on a chosen node). It runs on the shared connection on purpose (a
 * dedicated blocking connection has written nothing, so WAIT there measures nothing): it holds that
 * connection for up to `timeoutMillis` (0 = until enough replicas acknowledge), so keep it short.
 *
 * @since 0.1.0
 * @category server
 */
export const wait = (numreplicas: number, timeoutMillis: number): Command<number> =>
  onNode("WAIT", ["WAIT", numreplicas, timeoutMillis], 0, R.integer)

// ---------------------------------------------------------------------------------------------
// Refused

/**
 * `FAILOVER`: refused (standalone replication); in a cluster, `executeOn(replica, Command.clusterFailover())`.
 *
 * @since 0.1.0
 * @category server
 */
export const failover = (): Command<never> =>
  unsupported("FAILOVER", ["FAILOVER"], "not allowed in cluster mode: send CLUSTER FAILOVER to a replica with redis.executeOn(replica, Command.clusterFailover())")

/**
 * `MONITOR`: refused; it turns a connection into an endless stream of every command.
 *
 * @since 0.1.0
 * @category server
 */
export const monitor = (): Command<never> =>
  unsupported("MONITOR", ["MONITOR"], "it turns the connection into a stream of every command the node runs; use redis-cli monitor against one node")

/**
 * `PSYNC`: refused (the replication protocol between nodes).
 *
 * @since 0.1.0
 * @category server
 */
export const psync = (replicationId: string, offset: number): Command<never> =>
  unsupported("PSYNC", ["PSYNC", replicationId, offset], "it is the replication protocol between nodes")

/**
 * `SYNC`: refused (the replication protocol between nodes).
 *
 * @since 0.1.0
 * @category server
 */
export const sync = (): Command<never> => unsupported("SYNC", ["SYNC"], "it is the replication protocol between nodes")

/**
 * `REPLCONF`: refused (the replication protocol between nodes).
 *
 * @since 0.1.0
 * @category server
 */
export const replconf = (...args: ReadonlyArray<string>): Command<never> =>
  unsupported("REPLCONF", ["REPLCONF", ...args], "it is the replication protocol between nodes")

/**
 * `REPLICAOF`: refused; a cluster node becomes a replica with `executeOn(node, Command.clusterReplicate(masterId))`.
 *
 * @since 0.1.0
 * @category server
 */
export const replicaof = (host: string, port: number): Command<never> =>
  unsupported("REPLICAOF", ["REPLICAOF", host, port], "not allowed in cluster mode: use redis.executeOn(node, Command.clusterReplicate(masterId))")

/**
 * `SLAVEOF`: the old name of `REPLICAOF`, refused the same way.
 *
 * @since 0.1.0
 * @category server
 */
export const slaveof = (host: string, port: number): Command<never> =>
  unsupported("SLAVEOF", ["SLAVEOF", host, port], "not allowed in cluster mode: use redis.executeOn(node, Command.clusterReplicate(masterId))")

/**
 * `SHUTDOWN`: refused; stopping nodes is an operator's action, not a client's.
 *
 * @since 0.1.0
 * @category server
 */
export const shutdown = (): Command<never> =>
  unsupported("SHUTDOWN", ["SHUTDOWN"], "a cluster client does not stop nodes; use redis-cli -p <port> shutdown on the node")

/**
 * `SWAPDB`: refused; a cluster has database 0 only.
 *
 * @since 0.1.0
 * @category server
 */
export const swapdb = (index1: number, index2: number): Command<never> =>
  unsupported("SWAPDB", ["SWAPDB", index1, index2], "Redis Cluster has database 0 only")

/**
 * `RESTORE-ASKING`: refused (used by `MIGRATE` between nodes during resharding).
 *
 * @since 0.1.0
 * @category server
 */
export const restoreAsking = (): Command<never> =>
  unsupported("RESTORE-ASKING", ["RESTORE-ASKING"], "it is internal to MIGRATE between nodes; use restore")
