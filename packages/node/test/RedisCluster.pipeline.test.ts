import { describe, expect, it } from "@effect/vitest"
import type { ClusterError } from "@keyslot/core"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import * as Cluster from "./helpers/cluster.js"
import { Array as Arr, Effect, Fiber, Option, Result } from "effect"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 })

const withClient = <A, E>(
  use: (redis: RedisCluster.RedisClusterService, fixture: RedisClusterFixture.ClusterFixture) => Effect.Effect<A, E>,
  config: Partial<RedisCluster.RedisClusterConfig> = {}
) => Cluster.withClient(Fixture, use, config)

const keyIn = (slot: number, prefix: string, n = 1): Array<string> => {
  const keys: Array<string> = []
  for (let i = 0; keys.length < n; i++) if (Slot.slot(`${prefix}${i}`) === slot) keys.push(`${prefix}${i}`)
  return keys
}

describe("pipelines", { timeout: 90_000 }, () => {
  it.live("10k commands over every master, each result in its place; mixed types keep their types", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const keys = Arr.range(0, 4_999).map((i) => `p:${i}`)
        const sets = yield* redis.pipeline(keys.map((k, i) => Command.set(k, `v${i}`)))
        expect(sets.every((r) => Option.getOrNull(r as Option.Option<string>) === "OK")).toBe(true)
        const gets = yield* redis.pipeline(keys.map((k) => Command.get(k)))
        gets.forEach((g, i) => expect(g).toEqual(Option.some(`v${i}`)))
        const slots = new Set(keys.map(Slot.slot))
        expect(redis.topology.current().shards.every((s) => s.ranges.some(([a, b]) => [...slots].some((x) => x >= a && x <= b)))).toBe(true)
        // A tuple keeps each command's type.
        const [ok, n, value, many] = yield* redis.pipeline([
          Command.set("p:typed", "x"),
          Command.incr("p:typed:n"),
          Command.get("p:typed"),
          Command.mget(["p:0", "p:1", "p:2", "p:missing"])
        ] as const)
        const check: [Option.Option<string>, number, Option.Option<string>, ReadonlyArray<Option.Option<string>>] = [ok, n, value, many]
        expect(check).toEqual([Option.some("OK"), 1, Option.some("x"), [Option.some("v0"), Option.some("v1"), Option.some("v2"), Option.none()]])
      })))

  it.live("order is kept per slot, and a failed command fails the pipeline naming its index after all ran", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        yield* redis.set("o:str", "text")
        const result = yield* Effect.result(redis.pipeline([
          Command.set("o:a", "1"),
          Command.incr("o:str"),
          Command.incr("o:a"),
          Command.incr("o:a")
        ]))
        expect(Result.isFailure(result)).toBe(true)
        const error = (result as Result.Failure<unknown, ClusterError.RedisClusterError>).failure
        expect(error._tag).toBe("ReplyError")
        expect((error as ClusterError.ReplyError).index).toBe(1)
        expect(error.message).toContain("at index 1")
        // The commands after the failure ran, in order.
        expect(yield* redis.get("o:a")).toEqual(Option.some("3"))
        const settled = yield* redis.pipelineSettled([Command.incr("o:str"), Command.get("o:a")])
        expect(Result.isFailure(settled[0])).toBe(true)
        expect(settled[1]).toEqual(Result.succeed(Option.some("3")))
      })))

  it.live("unsupported and blocking commands are refused before anything is sent", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const cross = yield* Effect.result(redis.pipeline([Command.set("r:1", "x"), Command.raw(["RENAME", "r:a", "r:b"], { keys: ["r:a", "r:b"] })]))
        expect(Result.isFailure(cross) && cross.failure._tag).toBe("CrossSlotError")
        expect(yield* redis.get("r:1")).toEqual(Option.none())
      })))

  it.live("100k commands in one pipeline", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const n = 100_000
        const results = yield* redis.pipeline(Arr.range(0, n - 1).map((i) => Command.incr(`big:${i % 1000}`)))
        expect(results).toHaveLength(n)
        const counters = yield* redis.mget(Arr.range(0, 999).map((i) => `big:${i}`))
        expect(counters.every((c) => Option.getOrNull(c) === "100")).toBe(true)
      })), 60_000)

  it.live("a slot migrated while pipelines run: only redirected commands are re-sent, no INCR applied twice", () =>
    withClient((redis, fixture) =>
      Effect.gen(function*() {
        const slot = Slot.slot("{mig}")
        const keys = keyIn(slot, "{mig}k", 20)
        const owner = yield* fixture.masterOf(slot)
        const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
        let sent = 0
        const runner = yield* Effect.forkChild(Effect.gen(function*() {
          for (let round = 0; round < 40; round++) {
            yield* redis.pipeline(keys.flatMap((k) => [Command.incr(k), Command.incr(`other:${k}`)]))
            sent++
          }
        }))
        yield* fixture.migrateSlot(slot, target.port)
        yield* Fiber.join(runner)
        const values = yield* redis.mget(keys)
        expect(values.every((v) => Option.getOrNull(v) === String(sent))).toBe(true)
        const others = yield* redis.mget(keys.map((k) => `other:${k}`))
        expect(others.every((v) => Option.getOrNull(v) === String(sent))).toBe(true)
      })), 60_000)

  it.live("a master killed while a pipeline is in flight: every command ends, no succeeded write repeated", () =>
    withClient((redis, fixture) =>
      Effect.gen(function*() {
        const victim = (yield* fixture.masters)[0]!
        const keys = Arr.range(0, 299).map((i) => `kp:${i}`)
        const rounds = yield* Effect.forkChild(Effect.forEach(Arr.range(0, 59), () => redis.pipelineSettled(keys.map((k) => Command.incr(k)))))
        yield* Effect.sleep("150 millis")
        yield* fixture.killNode(victim.port)
        const results = yield* Fiber.join(rounds)
        const ok = new Map<string, number>()
        const unknown = new Map<string, number>()
        for (const round of results) {
          round.forEach((r, i) => {
            const key = keys[i]!
            if (Result.isSuccess(r)) ok.set(key, (ok.get(key) ?? 0) + 1)
            else {
              expect(r.failure._tag).toBe("ConnectionError")
              expect((r.failure as ClusterError.ConnectionError).written).toBe(true)
              unknown.set(key, (unknown.get(key) ?? 0) + 1)
            }
          })
        }
        const values = yield* redis.mget(keys)
        keys.forEach((key, i) => {
          const value = Number(Option.getOrElse(values[i]!, () => "0"))
          const succeeded = ok.get(key) ?? 0
          // Every success counted once; a write lost with its connection may or may not have run.
          expect(value).toBeGreaterThanOrEqual(succeeded)
          expect(value).toBeLessThanOrEqual(succeeded + (unknown.get(key) ?? 0))
        })
      }), { commandTimeout: "10 seconds" }), 60_000)
})

describe("transactions", { timeout: 90_000 }, () => {
  it.live("MULTI/EXEC on the slot owner with typed results; cross-slot refused; EXECABORT and runtime errors carry the index", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const [set, n, value] = yield* redis.transaction([Command.set("{tx}a", "1"), Command.incr("{tx}n"), Command.get("{tx}a")])
        expect([set, n, value]).toEqual([Option.some("OK"), 1, Option.some("1")])
        const cross = yield* Effect.result(redis.transaction([Command.set("tx:a", "1"), Command.set("tx:b", "2")]))
        expect(Result.isFailure(cross) && cross.failure._tag).toBe("CrossSlotError")
        const aborted = yield* Effect.result(redis.transaction([Command.incr("{tx}n"), Command.raw(["SET", "{tx}bad"], { keys: ["{tx}bad"] })]))
        expect(Result.isFailure(aborted)).toBe(true)
        const abortError = (aborted as Result.Failure<unknown, ClusterError.RedisClusterError>).failure as ClusterError.ReplyError
        expect(abortError._tag).toBe("ReplyError")
        expect(abortError.index).toBe(1)
        // Nothing ran.
        expect(yield* redis.get("{tx}n")).toEqual(Option.some("1"))
        const runtime = yield* Effect.result(redis.transaction([Command.incr("{tx}a"), Command.raw(["LPUSH", "{tx}a", "x"], { keys: ["{tx}a"] })]))
        expect(Result.isFailure(runtime) && (runtime.failure as ClusterError.ReplyError).index).toBe(1)
        // The first command did run: transactions do not roll back.
        expect(yield* redis.get("{tx}a")).toEqual(Option.some("2"))
      })))

  it.live("a transaction follows MOVED (retried whole) and ASK (ASKING before MULTI) during a migration", () =>
    withClient((redis, fixture) =>
      Effect.gen(function*() {
        const slot = Slot.slot("{txm}")
        const [moving, staying] = keyIn(slot, "{txm}", 2)
        yield* redis.set(moving!, "10")
        yield* redis.set(staying!, "20")
        const owner = yield* fixture.masterOf(slot)
        const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
        yield* fixture.beginMigration(slot, target.port)
        yield* fixture.migrateKeys(slot, [moving!])
        // The moved key lives on the target now: ASK, then ASKING + MULTI there.
        expect(yield* redis.transaction([Command.incr(moving!), Command.get(moving!)])).toEqual([11, Option.some("11")])
        expect(yield* redis.transaction([Command.incr(staying!)])).toEqual([21])
        yield* fixture.finishMigration(slot)
        // The client's map is stale: MOVED, then the whole transaction again on the new owner.
        expect(yield* redis.transaction([Command.incr(staying!), Command.incr(moving!)])).toEqual([22, 12])
        expect(redis.topology.current().slots[slot]!.master.port).toBe(target.port)
      })), 60_000)

  it.live("watch: a conflicting write from another fiber makes the body run again; a permanent conflict is a WatchError", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        yield* redis.set("{w}balance", "100")
        let runs = 0
        const result = yield* redis.watch(["{w}balance"], (tx) =>
          Effect.gen(function*() {
            runs++
            const balance = Number(Option.getOrElse(yield* tx.execute(Command.get("{w}balance")), () => "0"))
            // The first time, someone else writes between our read and EXEC.
            if (runs === 1) yield* redis.incrby("{w}balance", 5)
            return yield* tx.transaction([Command.set("{w}balance", String(balance - 30)), Command.incr("{w}ops")])
          }))
        expect(runs).toBe(2)
        expect(result).toEqual([Option.some("OK"), 1])
        expect(yield* redis.get("{w}balance")).toEqual(Option.some("75"))
        // Someone writes every time: give up with a typed error.
        const failed = yield* Effect.result(redis.watch(["{w}balance"], (tx) =>
          Effect.gen(function*() {
            yield* redis.incr("{w}balance")
            return yield* tx.transaction([Command.incr("{w}balance")])
          })))
        expect(Result.isFailure(failed) && failed.failure._tag).toBe("WatchError")
        expect(Result.isFailure(failed) && (failed.failure as ClusterError.WatchError).reason).toBe("conflict")
        // A body that only reads leaves a clean connection behind.
        const read = yield* redis.watch(["{w}balance"], (tx) => tx.execute(Command.get("{w}balance")))
        expect(Option.isSome(read)).toBe(true)
      })))

  it.live("watch across a slot move fails with WatchError slot-moved", () =>
    withClient((redis, fixture) =>
      Effect.gen(function*() {
        const slot = Slot.slot("{wm}")
        yield* redis.set("{wm}k", "1")
        const owner = yield* fixture.masterOf(slot)
        const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
        const result = yield* Effect.result(redis.watch(["{wm}k"], (tx) =>
          Effect.gen(function*() {
            yield* fixture.migrateSlot(slot, target.port).pipe(Effect.orDie)
            return yield* tx.execute(Command.get("{wm}k"))
          })))
        expect(Result.isFailure(result) && result.failure._tag).toBe("WatchError")
        expect(Result.isFailure(result) && (result.failure as ClusterError.WatchError).reason).toBe("slot-moved")
        // Outside the watch, everything follows the move.
        expect(yield* redis.get("{wm}k")).toEqual(Option.some("1"))
      })), 60_000)
})
