import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Option, Result } from "effect"
import { commandEnv, sorted } from "./helpers/commandEnv.js"

/** Two keys guaranteed to be in different slots. */
const apart = (a: string, b: string) => {
  expect(Slot.slot(a)).not.toBe(Slot.slot(b))
  return [a, b] as const
}

const sadd = (k: string, ...members: ReadonlyArray<string>) => Command.raw(["SADD", k, ...members], { keys: [k] })
const smembers = (k: string) => Command.raw(["SMEMBERS", k], { keys: [k], readOnly: true })

layer(commandEnv(), { timeout: "60 seconds", excludeTestServices: true })("nonAtomic: cross-slot emulations", (it) => {
  it.effect("plain names refuse cross-slot keys; nonAtomic rename/renamenx move values and TTLs", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const [src, dst] = apart("na:src", "na:dst")
      yield* redis.set(src, "v", { px: 60_000 })
      const plain = yield* Effect.result(redis.rename(src, dst))
      expect(Result.isFailure(plain) && plain.failure._tag).toBe("CrossSlotError")
      yield* redis.nonAtomic.rename(src, dst)
      expect(yield* redis.get(dst)).toEqual(Option.some("v"))
      expect(yield* redis.exists(src)).toBe(0)
      expect(yield* redis.pttl(dst)).toBeGreaterThan(50_000)
      const missing = yield* Effect.result(redis.nonAtomic.rename("na:none", dst))
      expect(Result.isFailure(missing) && missing.failure.message).toContain("no such key")
      yield* redis.set(src, "w")
      expect(yield* redis.nonAtomic.renamenx(src, dst)).toBe(false)
      yield* redis.del(dst)
      expect(yield* redis.nonAtomic.renamenx(src, dst)).toBe(true)
      expect(yield* redis.get(dst)).toEqual(Option.some("w"))
      // Same slot: the real command.
      yield* redis.set("{na}a", "1")
      yield* redis.nonAtomic.rename("{na}a", "{na}b")
      expect(yield* redis.get("{na}b")).toEqual(Option.some("1"))
    }))

  it.effect("set operations and their store forms across slots", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const [a, b] = apart("na:set:a", "na:set:b")
      yield* redis.execute(sadd(a, "1", "2", "3"))
      yield* redis.execute(sadd(b, "2", "3", "4"))
      expect(sorted(yield* redis.nonAtomic.sdiff(a, b))).toEqual(["1"])
      expect(sorted(yield* redis.nonAtomic.sinter(a, b))).toEqual(["2", "3"])
      expect(sorted(yield* redis.nonAtomic.sunion(a, b))).toEqual(["1", "2", "3", "4"])
      const [dst] = apart("na:set:dst", a)
      expect(yield* redis.nonAtomic.sunionstore(dst, a, b)).toBe(4)
      expect(sorted((yield* redis.execute(smembers(dst))) as Array<string>)).toEqual(["1", "2", "3", "4"])
      expect(yield* redis.nonAtomic.sinterstore(dst, a, b)).toBe(2)
      expect(sorted((yield* redis.execute(smembers(dst))) as Array<string>)).toEqual(["2", "3"])
      expect(yield* redis.nonAtomic.sdiffstore(dst, b, a)).toBe(1)
      expect(yield* redis.nonAtomic.smove(a, b, "1")).toBe(true)
      expect(yield* redis.nonAtomic.smove(a, b, "1")).toBe(false)
      expect(sorted(yield* redis.nonAtomic.sunion(b))).toEqual(["1", "2", "3", "4"])
    }))

  it.effect("rpoplpush, pfmerge and msetnx across slots", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const [list, other] = apart("na:list", "na:other")
      yield* redis.execute(Command.raw(["RPUSH", list, "a", "b"], { keys: [list] }))
      expect(yield* redis.nonAtomic.rpoplpush(list, other)).toEqual(Option.some("b"))
      expect(yield* redis.nonAtomic.rpoplpush("na:empty", other)).toEqual(Option.none())
      const [h1, h2] = apart("na:hll:1", "na:hll:2")
      yield* redis.execute(Command.raw(["PFADD", h1, "x", "y"], { keys: [h1] }))
      yield* redis.execute(Command.raw(["PFADD", h2, "y", "z"], { keys: [h2] }))
      const [merged] = apart("na:hll:all", h2)
      yield* redis.nonAtomic.pfmerge(merged, h1, h2)
      expect(yield* redis.execute(Command.raw(["PFCOUNT", merged], { keys: [merged], readOnly: true }))).toBe(3)
      const [k1, k2] = apart("na:nx:1", "na:nx:2")
      expect(yield* redis.nonAtomic.msetnx({ [k1]: "1", [k2]: "2" })).toBe(true)
      expect(yield* redis.nonAtomic.msetnx({ [k1]: "x", "na:nx:3": "3" })).toBe(false)
      expect(yield* redis.mget([k1, k2, "na:nx:3"])).toEqual([Option.some("1"), Option.some("2"), Option.none()])
    }))
})
