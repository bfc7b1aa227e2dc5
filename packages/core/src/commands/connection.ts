/**
 * Command constructors: connection (`AUTH`, `CLIENT ...`, `HELLO`, `QUIT`, `RESET`, `SELECT`).
 *
 * A cluster client multiplexes every caller's commands on one shared connection per node (plus
 * dedicated blocking and pub/sub connections), and reconnects on its own. So commands that change
 * the state of "the" connection (name, protocol, credentials, reply mode, tracking, eviction,
 * database) would change it for every caller, on one node only, until the next reconnect: they are
 * refused with `UnsupportedCommandError` saying what to do instead. Commands that only read the
 * state of the connection they run on answer for the shared connection to the node that served
 * them; use `redis.executeOn(node, Command.clientId())` to ask one node.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Command } from "../internal/command/command.js"
import { fanout, keyless, merge, READONLY, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Types

/**
 * One client connection as `CLIENT INFO` / `CLIENT LIST` describe it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientInfo {
  /** The connection id (unique per node, not across the cluster). */
  readonly id: number
  /** Client address `ip:port`. */
  readonly addr: string
  /** Server-side address `ip:port` the client connected to. */
  readonly laddr: string
  /** `CLIENT SETNAME` name ("" when none). */
  readonly name: string
  /** Age of the connection, seconds. */
  readonly age: number
  /** Idle time, seconds. */
  readonly idle: number
  /** Client flags (`N` normal, `S` replica, `M` master, `P` pub/sub, `r` readonly, `x` in MULTI...). */
  readonly flags: string
  /** Selected database. */
  readonly db: number
  /** Channel subscriptions. */
  readonly sub: number
  /** Pattern subscriptions. */
  readonly psub: number
  /** Commands queued in MULTI (-1 outside MULTI). */
  readonly multi: number
  /** Last command run (`client|info`). */
  readonly cmd: string
  /** Authenticated ACL user. */
  readonly user: string
  /** Tracking redirection client id (-1 when none). */
  readonly redir: number
  /** RESP version of the connection (2 or 3). */
  readonly resp: number
  /** Every `field=value` pair as sent (includes the fields above and the buffer statistics). */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * `CLIENT KILL` filters (combined with AND).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientKillFilter {
  /** The connection id. Ids are per node: with `id`, send the command with `executeOn`. */
  readonly id?: number
  /** Connections of this type. */
  readonly type?: "normal" | "master" | "replica" | "pubsub"
  /** Connections authenticated as this ACL user. */
  readonly user?: string
  /** The client address `ip:port`. */
  readonly addr?: string
  /** The server-side address `ip:port`. */
  readonly laddr?: string
  /** Whether to spare the connection sending the command (Redis default `true`). */
  readonly skipme?: boolean
}

/**
 * `CLIENT TRACKINGINFO` of a connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientTrackingInfo {
  /** `off`, or `on` with `bcast`/`optin`/`optout`/`caching-yes`/`caching-no`/`noloop`/`broken_redirect`. */
  readonly flags: ReadonlyArray<string>
  /** Redirection client id: -1 without tracking, 0 when tracking into this connection. */
  readonly redirect: number
  /** Broadcast prefixes. */
  readonly prefixes: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// Decoders (module-private)

const parseClientLine = (line: string): ClientInfo => {
  const fields = R.newRecord<string>()
  for (const token of line.trim().split(" ")) {
    const eq = token.indexOf("=")
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1)
  }
  const n = (k: string) => {
    const v = Number(fields[k])
    return Number.isNaN(v) ? 0 : v
  }
  const s = (k: string) => fields[k] ?? ""
  return {
    id: n("id"),
    addr: s("addr"),
    laddr: s("laddr"),
    name: s("name"),
    age: n("age"),
    idle: n("idle"),
    flags: s("flags"),
    db: n("db"),
    sub: n("sub"),
    psub: n("psub"),
    multi: fields["multi"] === undefined ? -1 : n("multi"),
    cmd: s("cmd"),
    user: s("user"),
    redir: fields["redir"] === undefined ? -1 : n("redir"),
    resp: n("resp"),
    fields
  }
}

const clientLines = (v: Resp.RespValue): ReadonlyArray<ClientInfo> | ReplyShape => {
  const s = R.string(v)
  if (s instanceof ReplyShape) return s
  return s.split(/\r?\n/).filter((line) => line.includes("id=")).map(parseClientLine)
}

const clientInfoReply = (v: Resp.RespValue): ClientInfo | ReplyShape => {
  const lines = clientLines(v)
  if (lines instanceof ReplyShape) return lines
  return lines.length === 1 ? lines[0]! : new ReplyShape("one client line", v)
}

const strings = R.strings

const trackingInfo = (v: Resp.RespValue): ClientTrackingInfo | ReplyShape => {
  const ps = R.pairs(v)
  if (ps instanceof ReplyShape) return ps
  let flags: ReadonlyArray<string> = []
  let redirect = -1
  let prefixes: ReadonlyArray<string> = []
  for (const [k, value] of ps) {
    const name = R.string(k)
    if (name instanceof ReplyShape) return name
    if (name === "flags") {
      const f = strings(value)
      if (f instanceof ReplyShape) return f
      flags = f
    } else if (name === "redirect") {
      const r = R.integer(value)
      if (r instanceof ReplyShape) return r
      redirect = r
    } else if (name === "prefixes") {
      const p = strings(value)
      if (p instanceof ReplyShape) return p
      prefixes = p
    }
  }
  return { flags, redirect, prefixes }
}

const sharedConnection = "the client multiplexes every caller on one shared connection per node and reconnects on its own"

// ---------------------------------------------------------------------------------------------
// PING, ECHO

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

// ---------------------------------------------------------------------------------------------
// AUTH, HELLO, QUIT, RESET, SELECT

/**
 * `AUTH`: refused; credentials are set once for every connection by `username`/`password` in the config.
 *
 * @since 0.1.0
 * @category connection
 */
export const auth = (): Command<never> =>
  unsupported("AUTH", ["AUTH"], "set username/password in the client config: every connection (and reconnection) authenticates with them")

/**
 * `HELLO`: refused; the protocol, credentials and name are the config's `protocol`, `username`/`password`, `clientName`.
 *
 * @since 0.1.0
 * @category connection
 */
export const hello = (): Command<never> =>
  unsupported("HELLO", ["HELLO"], "the handshake is the client's: set protocol, username/password and clientName in the config")

/**
 * `QUIT`: refused; connections close with the client's scope.
 *
 * @since 0.1.0
 * @category connection
 */
export const quit = (): Command<never> =>
  unsupported("QUIT", ["QUIT"], `it would close a shared connection; ${sharedConnection}, and closes them with its scope`)

/**
 * `RESET`: refused; it would drop the shared connection's READONLY mode, name and credentials.
 *
 * @since 0.1.0
 * @category connection
 */
export const reset = (): Command<never> =>
  unsupported("RESET", ["RESET"], `it would reset the state of a shared connection (READONLY, name, user); ${sharedConnection}`)

/**
 * `SELECT 0`: a no-op (a cluster has database 0 only); any other database is refused.
 *
 * @since 0.1.0
 * @category connection
 */
export const select = (db: number): Command<void> =>
  db === 0
    ? keyless("SELECT", ["SELECT", 0], 0, R.ok)
    : unsupported("SELECT", ["SELECT", db], "Redis Cluster has database 0 only")

// ---------------------------------------------------------------------------------------------
// CLIENT: reads of the serving connection

/**
 * `CLIENT GETNAME`: the name of the shared connection (the config's `clientName`), or none.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientGetname = (): Command<Option.Option<string>> =>
  keyless("CLIENT GETNAME", ["CLIENT", "GETNAME"], 0, R.optionalString)

/**
 * `CLIENT ID`: the id of the shared connection to the node that served it (ids are per node: use
 * `redis.executeOn(node, Command.clientId())` for one node's).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientId = (): Command<number> => keyless("CLIENT ID", ["CLIENT", "ID"], 0, R.integer)

/**
 * `CLIENT INFO`: the shared connection to the node that served it (`executeOn` for one node).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientInfo = (): Command<ClientInfo> => keyless("CLIENT INFO", ["CLIENT", "INFO"], 0, clientInfoReply)

/**
 * `CLIENT GETREDIR`: the tracking redirection id of the serving connection (-1: not tracking).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientGetredir = (): Command<number> => keyless("CLIENT GETREDIR", ["CLIENT", "GETREDIR"], 0, R.integer)

/**
 * `CLIENT TRACKINGINFO`: the tracking state of the serving connection (`off` here: tracking is not offered).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientTrackinginfo = (): Command<ClientTrackingInfo> =>
  keyless("CLIENT TRACKINGINFO", ["CLIENT", "TRACKINGINFO"], 0, trackingInfo)

/**
 * `CLIENT HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientHelp = (): Command<ReadonlyArray<string>> => keyless("CLIENT HELP", ["CLIENT", "HELP"], 0, strings)

// ---------------------------------------------------------------------------------------------
// CLIENT: server-wide administration

/**
 * `CLIENT LIST [TYPE type] [ID id...]` on every node (masters and replicas): each node's clients,
 * by node address. Ids are per node.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientList = (
  options?: { readonly type?: "normal" | "master" | "replica" | "pubsub"; readonly ids?: ReadonlyArray<number> }
) => {
  const args: Array<Resp.RespArg> = ["CLIENT", "LIST"]
  if (options?.type !== undefined) args.push("TYPE", options.type)
  if (options?.ids !== undefined && options.ids.length > 0) args.push("ID", ...options.ids)
  return fanout("CLIENT LIST", args, 0, "nodes", clientLines, merge.byNode)
}

/**
 * `CLIENT KILL <filters>` on every node: how many connections were closed, added over the nodes.
 * Ids are per node: to kill by `id`, send it with `redis.executeOn(node, Command.clientKill({ id }))`.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientKill = (filter: ClientKillFilter) => {
  const args: Array<Resp.RespArg> = ["CLIENT", "KILL"]
  if (filter.id !== undefined) args.push("ID", filter.id)
  if (filter.type !== undefined) args.push("TYPE", filter.type)
  if (filter.user !== undefined) args.push("USER", filter.user)
  if (filter.addr !== undefined) args.push("ADDR", filter.addr)
  if (filter.laddr !== undefined) args.push("LADDR", filter.laddr)
  if (filter.skipme !== undefined) args.push("SKIPME", filter.skipme ? "yes" : "no")
  return fanout("CLIENT KILL", args, 0, "nodes", R.integer, merge.sum)
}

/**
 * `CLIENT PAUSE timeout [WRITE|ALL]` on every node. Redis 7.0 postpones even `CLIENT UNPAUSE` during
 * an `ALL` pause (only its timeout ends it); `WRITE` pauses writes only. `executeOn` pauses one node.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientPause = (timeoutMillis: number, mode?: "WRITE" | "ALL") =>
  fanout(
    "CLIENT PAUSE",
    mode === undefined ? ["CLIENT", "PAUSE", timeoutMillis] : ["CLIENT", "PAUSE", timeoutMillis, mode],
    0,
    "nodes",
    R.ok,
    merge.first
  )

/**
 * `CLIENT UNPAUSE` on every node.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientUnpause = () => fanout("CLIENT UNPAUSE", ["CLIENT", "UNPAUSE"], 0, "nodes", R.ok, merge.first)

/**
 * `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: `true` when that client was blocked and is now unblocked.
 * Ids are per node: send it with `redis.executeOn(node, Command.clientUnblock(id))` (through
 * `redis.clientUnblock` it reaches an arbitrary master).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientUnblock = (clientId: number, how?: "TIMEOUT" | "ERROR"): Command<boolean> =>
  keyless("CLIENT UNBLOCK", how === undefined ? ["CLIENT", "UNBLOCK", clientId] : ["CLIENT", "UNBLOCK", clientId, how], 0, R.boolean)

// ---------------------------------------------------------------------------------------------
// CLIENT: connection state (refused)

/**
 * `CLIENT SETNAME`: refused; set `clientName` in the config (applied to every connection, reconnections included).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientSetname = (name: string): Command<never> =>
  unsupported("CLIENT SETNAME", ["CLIENT", "SETNAME", name], `set clientName in the client config instead: ${sharedConnection}`)

/**
 * `CLIENT REPLY ON|OFF|SKIP`: refused; a connection that stops replying desynchronises every caller's replies.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientReply = (mode: "ON" | "OFF" | "SKIP"): Command<never> =>
  unsupported("CLIENT REPLY", ["CLIENT", "REPLY", mode], `turning replies off would desynchronise the shared connection: ${sharedConnection}`)

/**
 * `CLIENT TRACKING`: refused; invalidations would arrive on a shared connection (client-side caching is not offered).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientTracking = (on: boolean): Command<never> =>
  unsupported(
    "CLIENT TRACKING",
    ["CLIENT", "TRACKING", on ? "ON" : "OFF"],
    `client-side caching needs tracking state on a dedicated connection per node, which this client does not manage; ${sharedConnection}`
  )

/**
 * `CLIENT CACHING YES|NO`: refused (it applies to the next command of the connection, and tracking is not offered).
 *
 * @since 0.1.0
 * @category connection
 */
export const clientCaching = (yes: boolean): Command<never> =>
  unsupported("CLIENT CACHING", ["CLIENT", "CACHING", yes ? "YES" : "NO"], `it modifies the next command of a shared connection; ${sharedConnection}`)

/**
 * `CLIENT NO-EVICT ON|OFF`: refused; it would mark one shared connection on one node, lost at reconnection.
 *
 * @since 0.1.0
 * @category connection
 */
export const clientNoEvict = (on: boolean): Command<never> =>
  unsupported("CLIENT NO-EVICT", ["CLIENT", "NO-EVICT", on ? "ON" : "OFF"], `it is connection state; ${sharedConnection}`)
