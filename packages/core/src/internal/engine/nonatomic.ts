/**
 * redis-py-cluster's client-side emulations of multi-key commands across slots, kept behind an
 * explicitly non-atomic name (`redis.nonAtomic.rename(...)`): the plain command names are the real
 * commands, which refuse keys in several slots. When the keys do share a slot, each of these sends
 * the real command; otherwise it runs several commands one after another, so another client can
 * observe (or interleave with) the steps in between, and a failure part-way can leave them half done.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import * as ClusterError from "../../ClusterError.js"
import * as Slot from "../../Slot.js"
import type { Arg, Command } from "../command/command.js"
import { BYTES, key } from "../command/command.js"
import * as R from "../command/reply.js"

type Failure = ClusterError.RedisClusterError
type Execute = <A>(command: Command<A>) => Effect.Effect<A, Failure>

/**
 * The emulations.
 *
 * @since 0.1.0
 * @category models
 */
export interface NonAtomic {
  /** `RENAME` across slots: DUMP + PTTL, RESTORE REPLACE at the destination, DEL the source. */
  readonly rename: (source: Arg, destination: Arg) => Effect.Effect<void, Failure>
  /** `RENAMENX` across slots: `false` when the destination exists, else `rename`. */
  readonly renamenx: (source: Arg, destination: Arg) => Effect.Effect<boolean, Failure>
  /** `SMOVE` across slots: SREM from the source, then SADD to the destination. */
  readonly smove: (source: Arg, destination: Arg, member: Arg) => Effect.Effect<boolean, Failure>
  /** `SDIFF` across slots: the members of every set fetched, the difference computed here. */
  readonly sdiff: (...keys: ReadonlyArray<Arg>) => Effect.Effect<ReadonlyArray<string>, Failure>
  /** `SINTER` across slots, computed here. */
  readonly sinter: (...keys: ReadonlyArray<Arg>) => Effect.Effect<ReadonlyArray<string>, Failure>
  /** `SUNION` across slots, computed here. */
  readonly sunion: (...keys: ReadonlyArray<Arg>) => Effect.Effect<ReadonlyArray<string>, Failure>
  /** `SDIFFSTORE` across slots: computed here, then the destination replaced. The member count. */
  readonly sdiffstore: (destination: Arg, ...keys: ReadonlyArray<Arg>) => Effect.Effect<number, Failure>
  /** `SINTERSTORE` across slots. */
  readonly sinterstore: (destination: Arg, ...keys: ReadonlyArray<Arg>) => Effect.Effect<number, Failure>
  /** `SUNIONSTORE` across slots. */
  readonly sunionstore: (destination: Arg, ...keys: ReadonlyArray<Arg>) => Effect.Effect<number, Failure>
  /** `RPOPLPUSH` across slots: RPOP from the source, then LPUSH to the destination. */
  readonly rpoplpush: (source: Arg, destination: Arg) => Effect.Effect<Option.Option<string>, Failure>
  /** `PFMERGE` across slots: sources copied next to the destination (DUMP/RESTORE), merged, copies deleted. */
  readonly pfmerge: (destination: Arg, ...sources: ReadonlyArray<Arg>) => Effect.Effect<void, Failure>
  /** `MSETNX` across slots: `false` if any key exists, else MSET per slot. Checked, then set: not atomic. */
  readonly msetnx: (entries: Readonly<Record<string, Arg | number>>) => Effect.Effect<boolean, Failure>
}

const sameSlot = (keys: ReadonlyArray<Arg>): boolean => {
  if (keys.length < 2) return true
  const first = Slot.slot(keys[0]!)
  return keys.every((k) => Slot.slot(k) === first)
}

const raw = <A>(args: ReadonlyArray<Arg | number>, keys: ReadonlyArray<Arg>, decode: (v: Parameters<typeof R.raw>[0]) => A | R.ReplyShape, flags = 0) =>
  key(String(args[0]), args, keys, flags, decode)

const ok = (args: ReadonlyArray<Arg | number>, keys: ReadonlyArray<Arg>) => raw(args, keys, R.ok)
const int = (args: ReadonlyArray<Arg | number>, keys: ReadonlyArray<Arg>) => raw(args, keys, R.integer)
const members = (k: Arg) => raw(["SMEMBERS", k], [k], R.strings)

/** A key name that hashes to `slot`, for temporary copies next to a destination. */
const keyInSlot = (slot: number): string => {
  const base = `keyslot:tmp:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}`
  for (let i = 0; ; i++) {
    const candidate = `${base}:${i}`
    if (Slot.slot(candidate) === slot) return candidate
  }
}

/**
 * Builds the emulations over `execute`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (execute: Execute): NonAtomic => {
  const rename = (source: Arg, destination: Arg) =>
    sameSlot([source, destination])
      ? execute(ok(["RENAME", source, destination], [source, destination]))
      : Effect.gen(function*() {
        const dump = yield* execute(key("DUMP", ["DUMP", source], [source], BYTES, R.optionalBytes))
        if (Option.isNone(dump)) return yield* Effect.fail(new ClusterError.ReplyError({ command: "RENAME", reply: "ERR no such key" }))
        const ttl = yield* execute(int(["PTTL", source], [source]))
        yield* execute(ok(["RESTORE", destination, ttl > 0 ? ttl : 0, dump.value, "REPLACE"], [destination]))
        yield* execute(int(["DEL", source], [source]))
      })

  const setOp = (op: "SDIFF" | "SINTER" | "SUNION", keys: ReadonlyArray<Arg>): Effect.Effect<ReadonlyArray<string>, Failure> =>
    sameSlot(keys)
      ? execute(raw([op, ...keys], keys, R.strings, 1))
      : Effect.map(Effect.forEach(keys, (k) => execute(members(k)), { concurrency: "unbounded" }), (sets) => {
        const [first = [], ...rest] = sets.map((s) => new Set(s))
        const out = new Set(first)
        for (const s of rest) {
          for (const m of op === "SUNION" ? s : Array.from(out)) {
            if (op === "SUNION") out.add(m)
            else if (op === "SINTER" ? !s.has(m) : s.has(m)) out.delete(m)
          }
        }
        return Array.from(out)
      })

  const store = (op: "SDIFF" | "SINTER" | "SUNION") => (destination: Arg, ...keys: ReadonlyArray<Arg>) =>
    sameSlot([destination, ...keys])
      ? execute(int([`${op}STORE`, destination, ...keys], [destination, ...keys]))
      : Effect.gen(function*() {
        const result = yield* setOp(op, keys)
        yield* execute(int(["DEL", destination], [destination]))
        if (result.length > 0) yield* execute(int(["SADD", destination, ...result], [destination]))
        return result.length
      })

  return {
    rename,
    renamenx: (source, destination) =>
      sameSlot([source, destination])
        ? execute(raw(["RENAMENX", source, destination], [source, destination], R.boolean))
        : Effect.flatMap(execute(int(["EXISTS", destination], [destination])), (exists) =>
          exists > 0 ? Effect.succeed(false) : Effect.as(rename(source, destination), true)),
    smove: (source, destination, member) =>
      sameSlot([source, destination])
        ? execute(raw(["SMOVE", source, destination, member], [source, destination], R.boolean))
        : Effect.flatMap(execute(int(["SREM", source, member], [source])), (removed) =>
          removed === 0 ? Effect.succeed(false) : Effect.as(execute(int(["SADD", destination, member], [destination])), true)),
    sdiff: (...keys) => setOp("SDIFF", keys),
    sinter: (...keys) => setOp("SINTER", keys),
    sunion: (...keys) => setOp("SUNION", keys),
    sdiffstore: store("SDIFF"),
    sinterstore: store("SINTER"),
    sunionstore: store("SUNION"),
    rpoplpush: (source, destination) =>
      sameSlot([source, destination])
        ? execute(raw(["RPOPLPUSH", source, destination], [source, destination], R.optionalString))
        : Effect.flatMap(execute(raw(["RPOP", source], [source], R.optionalString)), (value): Effect.Effect<Option.Option<string>, Failure> =>
          Option.isNone(value)
            ? Effect.succeed(value)
            : Effect.as(execute(int(["LPUSH", destination, value.value], [destination])), value)),
    pfmerge: (destination, ...sources) =>
      sameSlot([destination, ...sources])
        ? execute(ok(["PFMERGE", destination, ...sources], [destination, ...sources]))
        : Effect.gen(function*() {
          const slot = Slot.slot(destination)
          const temps: Array<string> = []
          const near: Array<Arg> = []
          for (const source of sources) {
            if (Slot.slot(source) === slot) {
              near.push(source)
              continue
            }
            const dump = yield* execute(key("DUMP", ["DUMP", source], [source], BYTES, R.optionalBytes))
            if (Option.isNone(dump)) continue
            const temp = keyInSlot(slot)
            temps.push(temp)
            yield* execute(ok(["RESTORE", temp, 60_000, dump.value], [temp]))
          }
          yield* execute(ok(["PFMERGE", destination, ...near, ...temps], [destination, ...near, ...temps])).pipe(
            Effect.ensuring(temps.length === 0 ? Effect.void : Effect.ignore(execute(int(["DEL", ...temps], temps))))
          )
        }),
    msetnx: (entries) => {
      const keys = Object.keys(entries)
      if (sameSlot(keys)) return execute(raw(["MSETNX", ...Object.entries(entries).flat()], keys, R.boolean))
      return Effect.flatMap(
        Effect.forEach(keys, (k) => execute(int(["EXISTS", k], [k])), { concurrency: "unbounded" }),
        (found) =>
          found.some((n) => n > 0)
            ? Effect.succeed(false)
            : Effect.as(Effect.forEach(Object.entries(entries), ([k, v]) => execute(ok(["SET", k, v], [k])), { concurrency: "unbounded", discard: true }), true)
      )
    }
  }
}
