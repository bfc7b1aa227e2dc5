/**
 * Command constructors: Lua scripts (EVAL, SCRIPT ...) and functions (FCALL, FUNCTION ...).
 *
 * A script's keys must share a slot (checked before sending); without keys it runs on any master.
 * Replies are the raw `RespValue`s the script returned. `SCRIPT LOAD` / `SCRIPT FLUSH` reach every
 * node (Redis' `all_nodes` tip: replicas serve `EVALSHA_RO` under `readFrom`), `SCRIPT EXISTS`
 * every master; functions replicate, so `FUNCTION LOAD`/`DELETE`/`FLUSH`/`RESTORE` go to every
 * master. See `Script` for EVALSHA with the EVAL fallback.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { BYTES, Command, fanout, keyless, merge, READONLY, unsupported } from "../internal/command/command.js"
import type { NodeReply } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

/**
 * How `SCRIPT FLUSH` / `FUNCTION FLUSH` free memory.
 *
 * @since 0.1.0
 * @category models
 */
export type FlushMode = "ASYNC" | "SYNC"

/**
 * Options of `FUNCTION LIST`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionListOptions {
  /** Only libraries whose name matches this glob pattern. */
  readonly libraryName?: string
  /** Include each library's source. */
  readonly withCode?: boolean
}

/**
 * One function of a library.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionInfo {
  readonly name: string
  readonly description: Option.Option<string>
  /** `no-writes`, `allow-oom`, `allow-stale`, `no-cluster`, ... */
  readonly flags: ReadonlyArray<string>
}

/**
 * One library of `FUNCTION LIST`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionLibrary {
  readonly libraryName: string
  readonly engine: string
  readonly functions: ReadonlyArray<FunctionInfo>
  /** With `withCode`. */
  readonly libraryCode?: string
}

/**
 * `FUNCTION STATS` of the node that answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionStats {
  /** The function running now, if any. */
  readonly runningScript: Option.Option<{ readonly name: string; readonly command: ReadonlyArray<string>; readonly durationMs: number }>
  /** Per engine (`LUA`): how many libraries and functions are loaded. */
  readonly engines: Readonly<Record<string, { readonly librariesCount: number; readonly functionsCount: number }>>
}

/**
 * How `FUNCTION RESTORE` treats the libraries already loaded (server default `APPEND`).
 *
 * @since 0.1.0
 * @category models
 */
export type FunctionRestorePolicy = "FLUSH" | "APPEND" | "REPLACE"

// ---------------------------------------------------------------------------------------------
// Decoders (module-private)

const functionInfo = R.fields((f): FunctionInfo => ({
  name: f.req("name", R.string),
  description: f.req("description", R.optionalString),
  // A RESP3 set, a RESP2 array.
  flags: f.req("flags", R.strings)
}))

const functionLibrary = R.fields((f): FunctionLibrary => ({
  libraryName: f.req("library_name", R.string),
  engine: f.req("engine", R.string),
  functions: f.req("functions", (fs) => R.arrayOf(fs, functionInfo)),
  ...f.opt("library_code", "libraryCode", R.string)
}))

/** The running function, nil when none. */
const runningScript = R.optional(R.fields((f) => ({
  name: f.req("name", R.string),
  command: f.req("command", R.strings),
  durationMs: f.req("duration_ms", R.integer)
})))

const engineStats = R.fields((s) => ({ librariesCount: s.req("libraries_count", R.integer), functionsCount: s.req("functions_count", R.integer) }))

const functionStatsReply = R.fields((f): FunctionStats => {
  const engines = f.req("engines", (e): FunctionStats["engines"] | ReplyShape => {
    const ps = R.pairs(e)
    if (ps instanceof ReplyShape) return ps
    const out = R.newRecord<{ librariesCount: number; functionsCount: number }>()
    for (const [name, stats] of ps) {
      const n = R.string(name)
      if (n instanceof ReplyShape) return n
      const s = engineStats(stats)
      if (s instanceof ReplyShape) return s
      out[n] = s
    }
    return out
  })
  return { runningScript: f.req("running_script", runningScript), engines }
})

/** `agg_logical_and` per position: a sha exists only when every master has it. */
const andPerIndex = (replies: ReadonlyArray<NodeReply<ReadonlyArray<boolean>>>): ReadonlyArray<boolean> | ReplyShape => {
  if (replies.length === 0) return new ReplyShape("at least one node", null)
  const n = replies[0]!.value.length
  if (replies.some((r) => r.value.length !== n)) return new ReplyShape(`${n} flags from every node`, replies.map((r) => r.value))
  return Array.from({ length: n }, (_, i) => replies.every((r) => r.value[i]))
}

/** Every node must agree on the sha it computed. */
const sameSha = (replies: ReadonlyArray<NodeReply<string>>): string | ReplyShape => {
  const first = merge.first(replies)
  if (first instanceof ReplyShape) return first
  return replies.every((r) => r.value === first) ? first : new ReplyShape("the same sha from every node", replies.map((r) => r.value))
}

/** EVAL-like commands: `name script-or-sha numkeys keys... args...`, routed by the keys (any master without). */
const scriptCall = (name: string, target: Arg, keys: ReadonlyArray<Arg>, args: ReadonlyArray<Arg | number>, flags: number): Command<Resp.RespValue> =>
  new Command(name, [name, target, keys.length, ...keys, ...args], keys, flags, R.raw, keys.length === 0 ? "any" : "key")

// ---------------------------------------------------------------------------------------------
// Scripts

/** `EVAL script numkeys key... arg...`: the script's reply, raw. The keys must share a slot. */
const evalCommand = (script: Arg, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("EVAL", script, keys, args, 0)

export {
  /**
   * `EVAL script numkeys key... arg...`: the script's reply, raw. The keys must share a slot.
   *
   * @since 0.1.0
   * @category scripting
   */
  evalCommand as eval
}

/**
 * `EVALSHA sha1 numkeys key... arg...`: a cached script's reply, raw (`NOSCRIPT` error when not cached: see `Script.run`).
 *
 * @since 0.1.0
 * @category scripting
 */
export const evalsha = (sha1: string, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("EVALSHA", sha1, keys, args, 0)

/**
 * `EVAL_RO script numkeys key... arg...`: a read-only script (refused if it writes); replicas may serve it.
 *
 * @since 0.1.0
 * @category scripting
 */
export const evalRo = (script: Arg, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("EVAL_RO", script, keys, args, READONLY)

/**
 * `EVALSHA_RO sha1 numkeys key... arg...`: a cached read-only script; replicas may serve it.
 *
 * @since 0.1.0
 * @category scripting
 */
export const evalshaRo = (sha1: string, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("EVALSHA_RO", sha1, keys, args, READONLY)

/**
 * `SCRIPT EXISTS sha1...` on every master: per sha, `true` when every master has it cached.
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptExists = (...sha1s: ReadonlyArray<string>) =>
  fanout("SCRIPT EXISTS", ["SCRIPT", "EXISTS", ...sha1s], 0, "masters", (v) => R.arrayOf(v, R.boolean), andPerIndex)

/**
 * `SCRIPT FLUSH [ASYNC|SYNC]` on every node: empties the script caches.
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptFlush = (mode?: FlushMode) =>
  fanout("SCRIPT FLUSH", mode === undefined ? ["SCRIPT", "FLUSH"] : ["SCRIPT", "FLUSH", mode], 0, "nodes", R.ok, merge.first)

/**
 * `SCRIPT LOAD script` on every node: the script's sha1 (the same everywhere).
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptLoad = (script: Arg) => fanout("SCRIPT LOAD", ["SCRIPT", "LOAD", script], 0, "nodes", R.string, sameSha)

/**
 * `SCRIPT KILL`: unsupported (a script runs on one node; kill it there).
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptKill = (): Command<never> =>
  unsupported(
    "SCRIPT KILL",
    ["SCRIPT", "KILL"],
    "a script runs on one node: send it there with redis.executeOn(node, Command.raw([\"SCRIPT\", \"KILL\"]))"
  )

/**
 * `SCRIPT DEBUG`: unsupported (the Lua debugger needs an interactive connection of its own).
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptDebug = (mode: "YES" | "SYNC" | "NO"): Command<never> =>
  unsupported("SCRIPT DEBUG", ["SCRIPT", "DEBUG", mode], "the Lua debugger needs a dedicated interactive connection (redis-cli --ldb)")

/**
 * `SCRIPT HELP`: the help lines.
 *
 * @since 0.1.0
 * @category scripting
 */
export const scriptHelp = (): Command<ReadonlyArray<string>> => keyless("SCRIPT HELP", ["SCRIPT", "HELP"], 0, R.strings)

// ---------------------------------------------------------------------------------------------
// Functions

/**
 * `FCALL function numkeys key... arg...`: the function's reply, raw. The keys must share a slot.
 *
 * @since 0.1.0
 * @category scripting
 */
export const fcall = (fn: Arg, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("FCALL", fn, keys, args, 0)

/**
 * `FCALL_RO function numkeys key... arg...`: a `no-writes` function's reply; replicas may serve it.
 *
 * @since 0.1.0
 * @category scripting
 */
export const fcallRo = (fn: Arg, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  scriptCall("FCALL_RO", fn, keys, args, READONLY)

/**
 * `FUNCTION LOAD [REPLACE] code` on every master: the library's name.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionLoad = (code: Arg, options?: { readonly replace?: boolean }) =>
  fanout(
    "FUNCTION LOAD",
    options?.replace ? ["FUNCTION", "LOAD", "REPLACE", code] : ["FUNCTION", "LOAD", code],
    0,
    "masters",
    R.string,
    merge.first
  )

/**
 * `FUNCTION DELETE library` on every master.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionDelete = (library: Arg) =>
  fanout("FUNCTION DELETE", ["FUNCTION", "DELETE", library], 0, "masters", R.ok, merge.first)

/**
 * `FUNCTION FLUSH [ASYNC|SYNC]` on every master: deletes every library.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionFlush = (mode?: FlushMode) =>
  fanout("FUNCTION FLUSH", mode === undefined ? ["FUNCTION", "FLUSH"] : ["FUNCTION", "FLUSH", mode], 0, "masters", R.ok, merge.first)

/**
 * `FUNCTION DUMP` (any master): the libraries as an opaque payload for `functionRestore` (a header only when there are none).
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionDump = (): Command<Uint8Array> => keyless("FUNCTION DUMP", ["FUNCTION", "DUMP"], BYTES, R.bytes)

/**
 * `FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]` on every master.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionRestore = (payload: Arg, policy?: FunctionRestorePolicy) =>
  fanout(
    "FUNCTION RESTORE",
    policy === undefined ? ["FUNCTION", "RESTORE", payload] : ["FUNCTION", "RESTORE", payload, policy],
    0,
    "masters",
    R.ok,
    merge.first
  )

/**
 * `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]` (any master): the loaded libraries.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionList = (options?: FunctionListOptions): Command<ReadonlyArray<FunctionLibrary>> => {
  const args: Array<Resp.RespArg> = ["FUNCTION", "LIST"]
  if (options?.libraryName !== undefined) args.push("LIBRARYNAME", options.libraryName)
  if (options?.withCode) args.push("WITHCODE")
  return keyless("FUNCTION LIST", args, 0, (v) => R.arrayOf(v, functionLibrary))
}

/**
 * `FUNCTION STATS` (any master): the running function and the engines' counts on that node.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionStats = (): Command<FunctionStats> => keyless("FUNCTION STATS", ["FUNCTION", "STATS"], 0, functionStatsReply)

/**
 * `FUNCTION KILL`: unsupported (a function runs on one node; kill it there).
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionKill = (): Command<never> =>
  unsupported(
    "FUNCTION KILL",
    ["FUNCTION", "KILL"],
    "a function runs on one node: send it there with redis.executeOn(node, Command.raw([\"FUNCTION\", \"KILL\"]))"
  )

/**
 * `FUNCTION HELP`: the help lines.
 *
 * @since 0.1.0
 * @category scripting
 */
export const functionHelp = (): Command<ReadonlyArray<string>> => keyless("FUNCTION HELP", ["FUNCTION", "HELP"], 0, R.strings)
