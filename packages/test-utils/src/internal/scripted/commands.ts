/**
 * The key-value model of the scripted cluster: string keys and values only (no expiry, no other
 * types), one store per master. Each command names its keys, so that the cluster can route it
 * (MOVED, ASK, CROSSSLOT, TRYAGAIN) before it runs.
 *
 * @internal
 */
import type { EvalRequest } from "../../ScriptedCluster.js"
import { ErrorReply, type Reply, SimpleString } from "./wire.js"

/**
 * A master's keyspace: key bytes (as a `latin1` string, lossless) → value bytes.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export type Store = Map<string, Buffer>

/**
 * What commands may use besides the store.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface Env {
  readonly node: string
  readonly onEval: ((request: EvalRequest) => Reply) | undefined
}

/**
 * One data command.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface DataCommand {
  /** Least number of arguments, the name included. */
  readonly arity: number
  readonly readOnly: boolean
  readonly keys: (args: ReadonlyArray<Buffer>) => ReadonlyArray<Buffer>
  readonly run: (store: Store, args: ReadonlyArray<Buffer>, env: Env) => Reply
}

/**
 * The store key of key bytes.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const keyOf = (bytes: Uint8Array | string): string =>
  typeof bytes === "string" ? Buffer.from(bytes, "utf8").toString("latin1") : Buffer.from(bytes).toString("latin1")

/**
 * The UTF-8 text of a store key.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const textOfKey = (key: string): string => Buffer.from(key, "latin1").toString("utf8")

const OK = new SimpleString("OK")
const NOT_INTEGER = new ErrorReply("ERR value is not an integer or out of range")
const SYNTAX = new ErrorReply("ERR syntax error")

const first = (args: ReadonlyArray<Buffer>) => [args[1]!]
const allButName = (args: ReadonlyArray<Buffer>) => args.slice(1)
const everyOther = (args: ReadonlyArray<Buffer>) => args.filter((_, i) => i % 2 === 1)

const evalKeys = (args: ReadonlyArray<Buffer>): ReadonlyArray<Buffer> => {
  const n = Number(args[2]?.toString() ?? "")
  return Number.isInteger(n) && n >= 0 ? args.slice(3, 3 + n) : []
}

const toInteger = (b: Buffer | undefined): number | undefined => {
  if (b === undefined) return 0
  const s = b.toString()
  if (!/^-?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}

const incrBy = (store: Store, key: Buffer, by: number | undefined): Reply => {
  if (by === undefined) return NOT_INTEGER
  const k = keyOf(key)
  const current = toInteger(store.get(k))
  if (current === undefined) return NOT_INTEGER
  const next = current + by
  if (!Number.isSafeInteger(next)) return new ErrorReply("ERR increment or decrement would overflow")
  store.set(k, Buffer.from(String(next)))
  return next
}

const set = (store: Store, args: ReadonlyArray<Buffer>): Reply => {
  let nx = false
  let xx = false
  let get = false
  for (let i = 3; i < args.length; i++) {
    const option = args[i]!.toString().toUpperCase()
    if (option === "NX") nx = true
    else if (option === "XX") xx = true
    else if (option === "GET") get = true
    else if (option === "KEEPTTL") continue
    else if (option === "EX" || option === "PX" || option === "EXAT" || option === "PXAT") {
      if (toInteger(args[++i]) === undefined) return NOT_INTEGER
    } else return SYNTAX
  }
  if (nx && xx) return SYNTAX
  const k = keyOf(args[1]!)
  const old = store.get(k)
  const doSet = nx ? old === undefined : xx ? old !== undefined : true
  if (doSet) store.set(k, Buffer.from(args[2]!))
  if (get) return old ?? null
  return doSet ? OK : null
}

const textOf = (b: Buffer): string => b.toString("utf8")

const evaluate = (store: Store, args: ReadonlyArray<Buffer>, env: Env): Reply => {
  const command = args[0]!.toString().toUpperCase()
  const keys = evalKeys(args)
  if (env.onEval === undefined) {
    return new ErrorReply(command === "EVALSHA" ? "NOSCRIPT No matching script. Please use EVAL." : "ERR scripting is not scripted: give ScriptedCluster.make an onEval handler")
  }
  return env.onEval({
    command,
    script: textOf(args[1]!),
    keys: keys.map(textOf),
    args: args.slice(3 + keys.length).map(textOf),
    node: env.node,
    get: (key) => store.get(keyOf(key))?.toString("utf8"),
    set: (key, value) => {
      store.set(keyOf(key), Buffer.from(value, "utf8"))
    }
  })
}

/**
 * The data commands, by upper-case name.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const dataCommands: ReadonlyMap<string, DataCommand> = new Map<string, DataCommand>([
  ["GET", { arity: 2, readOnly: true, keys: first, run: (s, a) => s.get(keyOf(a[1]!)) ?? null }],
  ["SET", { arity: 3, readOnly: false, keys: first, run: set }],
  ["SETNX", {
    arity: 3,
    readOnly: false,
    keys: first,
    run: (s, a) => {
      const k = keyOf(a[1]!)
      if (s.has(k)) return 0
      s.set(k, Buffer.from(a[2]!))
      return 1
    }
  }],
  ["GETDEL", {
    arity: 2,
    readOnly: false,
    keys: first,
    run: (s, a) => {
      const k = keyOf(a[1]!)
      const old = s.get(k)
      s.delete(k)
      return old ?? null
    }
  }],
  ["APPEND", {
    arity: 3,
    readOnly: false,
    keys: first,
    run: (s, a) => {
      const k = keyOf(a[1]!)
      const next = Buffer.concat([s.get(k) ?? Buffer.alloc(0), a[2]!])
      s.set(k, next)
      return next.length
    }
  }],
  ["STRLEN", { arity: 2, readOnly: true, keys: first, run: (s, a) => s.get(keyOf(a[1]!))?.length ?? 0 }],
  ["INCR", { arity: 2, readOnly: false, keys: first, run: (s, a) => incrBy(s, a[1]!, 1) }],
  ["DECR", { arity: 2, readOnly: false, keys: first, run: (s, a) => incrBy(s, a[1]!, -1) }],
  ["INCRBY", { arity: 3, readOnly: false, keys: first, run: (s, a) => incrBy(s, a[1]!, toInteger(a[2])) }],
  ["DECRBY", {
    arity: 3,
    readOnly: false,
    keys: first,
    run: (s, a) => {
      const by = toInteger(a[2])
      return incrBy(s, a[1]!, by === undefined ? undefined : -by)
    }
  }],
  ["DEL", { arity: 2, readOnly: false, keys: allButName, run: (s, a) => a.slice(1).filter((k) => s.delete(keyOf(k))).length }],
  ["UNLINK", { arity: 2, readOnly: false, keys: allButName, run: (s, a) => a.slice(1).filter((k) => s.delete(keyOf(k))).length }],
  ["EXISTS", { arity: 2, readOnly: true, keys: allButName, run: (s, a) => a.slice(1).filter((k) => s.has(keyOf(k))).length }],
  ["MGET", { arity: 2, readOnly: true, keys: allButName, run: (s, a) => a.slice(1).map((k) => s.get(keyOf(k)) ?? null) }],
  ["MSET", {
    arity: 3,
    readOnly: false,
    keys: everyOther,
    run: (s, a) => {
      if (a.length % 2 !== 1) return new ErrorReply("ERR wrong number of arguments for 'mset' command")
      for (let i = 1; i < a.length; i += 2) s.set(keyOf(a[i]!), Buffer.from(a[i + 1]!))
      return OK
    }
  }],
  ["EVAL", { arity: 3, readOnly: false, keys: evalKeys, run: evaluate }],
  ["EVALSHA", { arity: 3, readOnly: false, keys: evalKeys, run: evaluate }]
])
