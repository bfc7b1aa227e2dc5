import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Option } from "effect"
import { commandEnv, sameOnBothProtocols, sorted, tagOf } from "../helpers/commandEnv.js"

const Env = commandEnv()

/** A deterministic run of set commands (unordered replies sorted); both protocols must decode it identically. */
const scenario = (redis: RedisCluster.RedisClusterService) =>
  Effect.gen(function*() {
    const a = "{sp}a"
    const b = "{sp}b"
    const d = "{sp}dst"
    const none = "{sp}none"
    yield* redis.del(a, b, d, none)
    return {
      sadd: [yield* redis.sadd(a, "x", "y", "z", 1), yield* redis.sadd(b, "y", "w", "x")],
      smembers: sorted(yield* redis.smembers(a)),
      sdiff: sorted(yield* redis.sdiff(a, b)),
      sinter: sorted(yield* redis.sinter(a, b)),
      sunion: sorted(yield* redis.sunion(a, b)),
      sintercard: [yield* redis.sintercard([a, b]), yield* redis.sintercard([a, b], { limit: 1 })],
      stores: [yield* redis.sdiffstore(d, a, b), yield* redis.sinterstore(d, a, b), yield* redis.sunionstore(d, a, b)],
      smismember: yield* redis.smismember(a, "x", "nope", "1"),
      sismember: [yield* redis.sismember(a, "z"), yield* redis.sismember(a, "w")],
      smove: [yield* redis.smove(a, b, "z"), yield* redis.smove(a, b, "nope")],
      scard: [yield* redis.scard(a), yield* redis.scard(b), yield* redis.scard(none)],
      srem: yield* redis.srem(b, "w", "nope"),
      srandmember: sorted(yield* redis.srandmemberCount(a, 10)),
      sscan: sorted((yield* redis.execute(Command.sscan(a, 0))).members),
      spopAll: sorted(yield* redis.spopCount(a, 10)),
      missing: [
        yield* redis.spop(none),
        yield* redis.spopCount(none, 2),
        yield* redis.srandmember(none),
        yield* redis.srandmemberCount(none, 2),
        yield* redis.smembers(none),
        yield* redis.execute(Command.sscan(none, 0))
      ]
    }
  })

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("set commands", (it) => {
  it.effect("SADD SCARD SISMEMBER SMISMEMBER SMEMBERS SREM", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "s:basic"
      expect(yield* redis.sadd(k, "a", "b", "c", "a")).toBe(3)
      expect(yield* redis.sadd(k, "a", 7)).toBe(1)
      expect(yield* redis.scard(k)).toBe(4)
      expect(yield* redis.sismember(k, "a")).toBe(true)
      expect(yield* redis.sismember(k, 7)).toBe(true)
      expect(yield* redis.sismember(k, "z")).toBe(false)
      expect(yield* redis.smismember(k, "a", "z", "c")).toEqual([true, false, true])
      expect(sorted(yield* redis.smembers(k))).toEqual(["7", "a", "b", "c"])
      expect(yield* redis.srem(k, "a", "z")).toBe(1)
      expect(sorted(yield* redis.smembers(k))).toEqual(["7", "b", "c"])
      // Missing keys.
      expect(yield* redis.scard("s:missing")).toBe(0)
      expect(yield* redis.smembers("s:missing")).toEqual([])
      expect(yield* redis.sismember("s:missing", "a")).toBe(false)
      expect(yield* redis.smismember("s:missing", "a", "b")).toEqual([false, false])
      expect(yield* redis.srem("s:missing", "a")).toBe(0)
      // Binary members.
      const bin = new Uint8Array([0x00, 0xff, 0x10])
      expect(yield* redis.sadd("s:bin", bin)).toBe(1)
      expect(yield* redis.sismember("s:bin", bin)).toBe(true)
      expect(yield* tagOf(redis.sadd("s:bin-str", "x").pipe(Effect.andThen(redis.lpush("s:bin-str", "y"))))).toBe("ReplyError")
    }))

  it.effect("SPOP SRANDMEMBER: single, COUNT, negative COUNT; none when empty", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "s:rand"
      const all = ["a", "b", "c", "d", "e"]
      yield* redis.sadd(k, ...all)
      const one = yield* redis.srandmember(k)
      expect(Option.isSome(one) && all.includes(one.value)).toBe(true)
      const three = yield* redis.srandmemberCount(k, 3)
      expect(three).toHaveLength(3)
      expect(new Set(three).size).toBe(3)
      expect(sorted(yield* redis.srandmemberCount(k, 10))).toEqual(all)
      const repeats = yield* redis.srandmemberCount(k, -12)
      expect(repeats).toHaveLength(12)
      for (const m of repeats) expect(all).toContain(m)
      expect(yield* redis.scard(k)).toBe(5)
      const popped = yield* redis.spop(k)
      expect(Option.isSome(popped) && all.includes(popped.value)).toBe(true)
      const two = yield* redis.spopCount(k, 2)
      expect(two).toHaveLength(2)
      const rest = yield* redis.spopCount(k, 10)
      expect(sorted([Option.getOrThrow(popped), ...two, ...rest])).toEqual(all)
      expect(yield* redis.spop(k)).toEqual(Option.none())
      expect(yield* redis.spopCount(k, 3)).toEqual([])
      expect(yield* redis.srandmember(k)).toEqual(Option.none())
      expect(yield* redis.srandmemberCount(k, 3)).toEqual([])
    }))

  it.effect("SDIFF SINTER SUNION (+STORE) SINTERCARD SMOVE on keys sharing a slot", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const [a, b, c, dst] = ["{so}a", "{so}b", "{so}c", "{so}dst"]
      yield* redis.sadd(a, "1", "2", "3", "4")
      yield* redis.sadd(b, "3", "4", "5")
      yield* redis.sadd(c, "4", "6")
      expect(sorted(yield* redis.sdiff(a, b))).toEqual(["1", "2"])
      expect(sorted(yield* redis.sdiff(a, b, c))).toEqual(["1", "2"])
      expect(sorted(yield* redis.sdiff(a, "{so}none"))).toEqual(["1", "2", "3", "4"])
      expect(sorted(yield* redis.sinter(a, b))).toEqual(["3", "4"])
      expect(yield* redis.sinter(a, b, c)).toEqual(["4"])
      expect(yield* redis.sinter(a, "{so}none")).toEqual([])
      expect(sorted(yield* redis.sunion(a, b, c))).toEqual(["1", "2", "3", "4", "5", "6"])
      expect(yield* redis.sintercard([a, b])).toBe(2)
      expect(yield* redis.sintercard([a, b], { limit: 1 })).toBe(1)
      expect(yield* redis.sintercard([a, b, c])).toBe(1)
      expect(yield* redis.sdiffstore(dst, a, b)).toBe(2)
      expect(sorted(yield* redis.smembers(dst))).toEqual(["1", "2"])
      expect(yield* redis.sinterstore(dst, a, b)).toBe(2)
      expect(sorted(yield* redis.smembers(dst))).toEqual(["3", "4"])
      expect(yield* redis.sunionstore(dst, b, c)).toBe(4)
      expect(sorted(yield* redis.smembers(dst))).toEqual(["3", "4", "5", "6"])
      expect(yield* redis.sinterstore(dst, a, "{so}none")).toBe(0)
      expect(yield* redis.smembers(dst)).toEqual([])
      expect(yield* redis.smove(a, b, "1")).toBe(true)
      expect(yield* redis.smove(a, b, "1")).toBe(false)
      expect(yield* redis.sismember(b, "1")).toBe(true)
      // Real commands, not emulations: keys in different slots fail with CrossSlotError.
      expect(Slot.slot("s:x")).not.toBe(Slot.slot("s:y"))
      expect(yield* tagOf(redis.sinter("s:x", "s:y"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.sunionstore("s:x", "s:y"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.smove("s:x", "s:y", "m"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.sintercard(["s:x", "s:y"]))).toBe("CrossSlotError")
      expect(Command.sdiffstore("d", "a", "b").keys).toEqual(["d", "a", "b"])
      expect(Command.sintercard(["a", "b"], { limit: 3 }).args).toEqual(["SINTERCARD", 2, "a", "b", "LIMIT", 3])
    }))

  it.effect("SSCAN pages through a large set with MATCH and COUNT", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "s:scan"
      const all = Array.from({ length: 400 }, (_, i) => `m${i}`)
      yield* redis.sadd(k, ...all)
      const walk = (options?: Command.SscanOptions) =>
        Effect.gen(function*() {
          const seen: Array<string> = []
          let cursor = "0"
          let pages = 0
          do {
            const page = yield* redis.execute(Command.sscan(k, cursor, options))
            seen.push(...page.members)
            cursor = page.cursor
            pages++
          } while (cursor !== "0")
          return { seen, pages }
        })
      const full = yield* walk({ count: 40 })
      expect(full.pages).toBeGreaterThan(1)
      expect(sorted(Array.from(new Set(full.seen)))).toEqual(sorted(all))
      const matched = yield* walk({ match: "m3?", count: 1000 })
      expect(sorted(Array.from(new Set(matched.seen)))).toEqual(sorted(Array.from({ length: 10 }, (_, i) => `m3${i}`)))
      expect(yield* redis.execute(Command.sscan("s:scan:none", 0))).toEqual({ cursor: "0", members: [] })
    }))

  it.effect("read-only commands are flagged READONLY, writes are not", () =>
    Effect.sync(() => {
      const reads = [
        Command.scard("k"),
        Command.sdiff("k"),
        Command.sinter("k"),
        Command.sintercard(["k"]),
        Command.sismember("k", "m"),
        Command.smembers("k"),
        Command.smismember("k", "m"),
        Command.srandmember("k"),
        Command.srandmemberCount("k", 1),
        Command.sscan("k", 0),
        Command.sunion("k")
      ]
      for (const c of reads) expect([c.name, c.readOnly]).toEqual([c.name, true])
      const writes = [Command.sadd("k", "m"), Command.sdiffstore("d", "k"), Command.sinterstore("d", "k"), Command.smove("a", "b", "m"), Command.spop("k"), Command.spopCount("k", 1), Command.srem("k", "m"), Command.sunionstore("d", "k")]
      for (const c of writes) expect([c.name, c.readOnly]).toEqual([c.name, false])
    }))

  it.effect("RESP2 decodes every reply exactly as RESP3 (RESP3 sets included)", () =>
    Effect.gen(function*() {
      const resp3 = yield* sameOnBothProtocols(scenario)
      expect(resp3).toEqual({
        sadd: [4, 3],
        smembers: ["1", "x", "y", "z"],
        sdiff: ["1", "z"],
        sinter: ["x", "y"],
        sunion: ["1", "w", "x", "y", "z"],
        sintercard: [2, 1],
        stores: [2, 2, 5],
        smismember: [true, false, true],
        sismember: [true, false],
        smove: [true, false],
        scard: [3, 4, 0],
        srem: 1,
        srandmember: ["1", "x", "y"],
        sscan: ["1", "x", "y"],
        spopAll: ["1", "x", "y"],
        missing: [Option.none(), [], Option.none(), [], [], { cursor: "0", members: [] }]
      })
    }))
})
