/**
 * Lua scripts as values: the source and its SHA1, known up front (computed here, in plain
 * TypeScript, so the core stays platform independent).
 *
 * `run` sends `EVALSHA` (`EVALSHA_RO` for read-only scripts) to the keys' slot owner and, when that
 * node answers `NOSCRIPT` (a new node, a restart, `SCRIPT FLUSH`), sends `EVAL` once, which caches
 * the script on that node. Keys must share a slot: otherwise `CrossSlotError`, before sending.
 *
 * ```ts
 * const incrBy = Script.make("return redis.call('INCRBY', KEYS[1], ARGV[1])", { keys: 1 })
 * const n = yield* Script.run(redis, incrBy, ["counter"], [5])
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as ClusterError from "./ClusterError.js"
import type { Arg, Command } from "./internal/command/command.js"
import * as Commands from "./commands/scripting.js"
import type * as Resp from "./Resp.js"
import * as Slot from "./Slot.js"

/**
 * A Lua script with its SHA1.
 *
 * @since 0.1.0
 * @category models
 */
export interface Script {
  readonly source: string
  /** Lower-case hex SHA1 of the source's UTF-8 bytes: what `SCRIPT LOAD` answers. */
  readonly sha1: string
  /** How many keys every call passes, when fixed (checked by `run`). */
  readonly keys: number | undefined
  /** Read-only scripts run with `EVALSHA_RO` / `EVAL_RO` (refused by the server if they write; replicas may serve them). */
  readonly readOnly: boolean
}

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptOptions {
  /** The number of keys every call passes. */
  readonly keys?: number
  /** The script never writes. */
  readonly readOnly?: boolean
}

/**
 * What `run` needs: anything that executes commands (the `RedisCluster` service).
 *
 * @since 0.1.0
 * @category models
 */
export interface Runner {
  readonly execute: <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
}

/**
 * A script value; its SHA1 is computed here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (source: string, options?: ScriptOptions): Script => ({
  source,
  sha1: sha1Hex(new TextEncoder().encode(source)),
  keys: options?.keys,
  readOnly: options?.readOnly === true
})

/**
 * The `EVALSHA` (or `EVALSHA_RO`) command of a call, without the `NOSCRIPT` fallback (for pipelines).
 *
 * @since 0.1.0
 * @category commands
 */
export const command = (script: Script, keys: ReadonlyArray<Arg> = [], args: ReadonlyArray<Arg | number> = []): Command<Resp.RespValue> =>
  script.readOnly ? Commands.evalshaRo(script.sha1, keys, args) : Commands.evalsha(script.sha1, keys, args)

/**
 * Runs the script: `EVALSHA`, then `EVAL` if the node does not have it cached. The reply is the
 * script's, raw. Fails with `CrossSlotError` before sending when the keys span several slots.
 *
 * @since 0.1.0
 * @category execution
 */
export const run = (
  redis: Runner,
  script: Script,
  keys: ReadonlyArray<Arg> = [],
  args: ReadonlyArray<Arg | number> = []
): Effect.Effect<Resp.RespValue, ClusterError.RedisClusterError> => {
  if (script.keys !== undefined && keys.length !== script.keys) {
    return Effect.fail(
      new ClusterError.ConfigError({ field: "keys", reason: `the script ${script.sha1} takes ${script.keys} keys, got ${keys.length}` })
    )
  }
  const slots = Array.from(new Set(keys.map(Slot.slot)))
  if (slots.length > 1) {
    const name = script.readOnly ? "EVALSHA_RO" : "EVALSHA"
    return Effect.fail(new ClusterError.CrossSlotError({ command: name, slots }))
  }
  return Effect.catchIf(
    redis.execute(command(script, keys, args)),
    (e): e is ClusterError.ReplyError => e._tag === "ReplyError" && e.code === "NOSCRIPT",
    () => redis.execute(script.readOnly ? Commands.evalRo(script.source, keys, args) : Commands.eval(script.source, keys, args))
  )
}

/**
 * Caches the script on every node now (`SCRIPT LOAD`), e.g. before pipelining `command`s; its SHA1.
 *
 * @since 0.1.0
 * @category execution
 */
export const load = (redis: Runner, script: Script): Effect.Effect<string, ClusterError.RedisClusterError> =>
  redis.execute(Commands.scriptLoad(script.source))

// ---------------------------------------------------------------------------------------------
// SHA1 (FIPS 180-4), small and dependency-free

const sha1Hex = (bytes: Uint8Array): string => {
  const bitLength = bytes.length * 8
  // Message + 0x80 + zero padding + 64-bit length, a multiple of 64 bytes.
  const padded = new Uint8Array((((bytes.length + 8) >> 6) + 1) << 6)
  padded.set(bytes)
  padded[bytes.length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000))
  view.setUint32(padded.length - 4, bitLength >>> 0)
  let h0 = 0x67452301
  let h1 = 0xefcdab89
  let h2 = 0x98badcfe
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0
  const w = new Uint32Array(80)
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4)
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) >>> 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    h0 = (h0 + a) >>> 0
    h1 = (h1 + b) >>> 0
    h2 = (h2 + c) >>> 0
    h3 = (h3 + d) >>> 0
    h4 = (h4 + e) >>> 0
  }
  return [h0, h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, "0")).join("")
}
