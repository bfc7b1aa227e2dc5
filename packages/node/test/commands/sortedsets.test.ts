import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Fiber, Option } from "effect"
import { commandEnv, sameOnBothProtocols, sorted, tagOf, waitBlocked } from "../helpers/commandEnv.js"

const Env = commandEnv()

const byMember = (xs: ReadonlyArray<Command.ScoredMember>) => [...xs].sort((a, b) => a.member.localeCompare(b.member))
const sm = (member: string, score: number): Command.ScoredMember => ({ member, score })

/** A deterministic run of sorted-set commands; both protocols must decode it identically. */
const scenario = (redis: RedisCluster.RedisClusterService) =>
  Effect.gen(function*() {
    const a = "{zp}a"
    const b = "{zp}b"
    const dst = "{zp}dst"
    const none = "{zp}none"
    yield* redis.del(a, b, dst, none)
    const zadd = yield* redis.zadd(a, { x: 1.5, y: Infinity, z: -Infinity, w: 0 })
    yield* redis.zadd(b, { x: 1, v: 2 })
    return {
      zadd,
      zaddIncr: [yield* redis.zaddIncr(a, "w", 2), yield* redis.zaddIncr(a, "w", 1, { nx: true })],
      zincrby: yield* redis.zincrby(a, 0.25, "x"),
      zscore: [yield* redis.zscore(a, "y"), yield* redis.zscore(a, "z"), yield* redis.zscore(a, "nope")],
      zmscore: yield* redis.zmscore(a, "x", "nope", "y"),
      zrank: [yield* redis.zrank(a, "x"), yield* redis.zrevrank(a, "x"), yield* redis.zrank(a, "nope")],
      zrange: yield* redis.zrange(a, 0, -1),
      zrangeWithScores: yield* redis.zrangeWithScores(a, 0, -1),
      byScore: yield* redis.zrangeWithScores(a, "(0", Infinity, { by: "SCORE", limit: { offset: 0, count: 5 } }),
      rev: yield* redis.zrevrangeWithScores(a, 0, 1),
      zrangebyscore: yield* redis.zrangebyscoreWithScores(a, -Infinity, "(2"),
      zrevrangebyscore: yield* redis.zrevrangebyscoreWithScores(a, "+inf", 2),
      zunion: yield* redis.zunionWithScores([a, b], { weights: [1, 2] }),
      zinter: yield* redis.zinterWithScores([a, b], { aggregate: "MAX" }),
      zdiff: yield* redis.zdiffWithScores(a, b),
      zrandmember: byMember(yield* redis.zrandmemberWithScores(a, 10)),
      zscan: byMember((yield* redis.execute(Command.zscan(a, 0))).members),
      zcount: yield* redis.zcount(a, "-inf", "+inf"),
      zpopmin: yield* redis.zpopmin(a),
      zpopmax: yield* redis.zpopmax(a, 1),
      zmpop: yield* redis.zmpop([none, a], "MIN", { count: 1 }),
      bzpopmin: yield* redis.bzpopmin([none, b], 1),
      bzmpop: yield* redis.bzmpop(1, [none, a], "MAX", { count: 5 }),
      timedOut: [yield* redis.bzpopmax(none, 0.05), yield* redis.bzmpop(0.05, [none], "MIN")],
      missing: [
        yield* redis.zpopmin(none),
        yield* redis.zpopmax(none, 2),
        yield* redis.zmpop([none], "MAX"),
        yield* redis.zrandmember(none),
        yield* redis.zrandmemberWithScores(none, 2),
        yield* redis.zrangeWithScores(none, 0, -1),
        yield* redis.execute(Command.zscan(none, 0))
      ]
    }
  })

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("sorted set commands", (it) => {
  it.effect("ZADD (NX XX GT LT CH, infinite scores) ZADD INCR ZINCRBY ZCARD ZSCORE ZMSCORE", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "z:add"
      expect(yield* redis.zadd(k, { a: 1, b: 2, c: 3 })).toBe(3)
      expect(yield* redis.zadd(k, [{ member: "d", score: 4 }, { member: "a", score: 10 }])).toBe(1)
      expect(yield* redis.zscore(k, "a")).toEqual(Option.some(10))
      expect(yield* redis.zadd(k, { a: 0 }, { ch: true })).toBe(1)
      expect(yield* redis.zadd(k, { a: 5, e: 5 }, { nx: true })).toBe(1)
      expect(yield* redis.zscore(k, "a")).toEqual(Option.some(0))
      expect(yield* redis.zadd(k, { a: 7, f: 1 }, { xx: true, ch: true })).toBe(1)
      expect(yield* redis.zscore(k, "f")).toEqual(Option.none())
      expect(yield* redis.zadd(k, { a: 3 }, { gt: true, ch: true })).toBe(0)
      expect(yield* redis.zadd(k, { a: 9 }, { gt: true, ch: true })).toBe(1)
      expect(yield* redis.zadd(k, { a: 1.5 }, { lt: true, ch: true })).toBe(1)
      expect(yield* redis.zscore(k, "a")).toEqual(Option.some(1.5))
      expect(yield* redis.zadd(k, [{ member: "inf", score: Infinity }, { member: "ninf", score: -Infinity }, { member: 42, score: 0.125 }])).toBe(3)
      expect(yield* redis.zscore(k, "inf")).toEqual(Option.some(Infinity))
      expect(yield* redis.zscore(k, "ninf")).toEqual(Option.some(-Infinity))
      expect(yield* redis.zscore(k, 42)).toEqual(Option.some(0.125))
      expect(yield* redis.zcard(k)).toBe(8)
      expect(yield* redis.zcard("z:missing")).toBe(0)
      expect(yield* redis.zscore(k, "nope")).toEqual(Option.none())
      expect(yield* redis.zscore("z:missing", "a")).toEqual(Option.none())
      expect(yield* redis.zmscore(k, "a", "nope", "inf")).toEqual([Option.some(1.5), Option.none(), Option.some(Infinity)])
      expect(yield* redis.zmscore("z:missing", "a")).toEqual([Option.none()])
      expect(yield* redis.zincrby(k, 2.5, "a")).toBe(4)
      expect(yield* redis.zincrby(k, 1, "fresh")).toBe(1)
      expect(yield* redis.zaddIncr(k, "a", 1)).toEqual(Option.some(5))
      expect(yield* redis.zaddIncr(k, "a", 1, { nx: true })).toEqual(Option.none())
      expect(yield* redis.zaddIncr(k, "absent", 2, { xx: true })).toEqual(Option.none())
      expect(yield* redis.zaddIncr(k, "a", -10, { gt: true })).toEqual(Option.none())
      expect(yield* redis.zaddIncr(k, "a", -1, { lt: true })).toEqual(Option.some(4))
      expect(yield* tagOf(redis.zadd(k, { a: 1 }, { nx: true, xx: true }))).toBe("ReplyError")
      expect(yield* tagOf(redis.zaddIncr(k, "inf", -Infinity))).toBe("ReplyError") // inf + -inf is NaN
      expect(Command.zadd("k", { m: 1 }, { xx: true, gt: true, ch: true }).args).toEqual(["ZADD", "k", "XX", "GT", "CH", 1, "m"])
      expect(Command.zaddIncr("k", "m", 2, { nx: true }).args).toEqual(["ZADD", "k", "NX", "INCR", 2, "m"])
    }))

  it.effect("ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and the older range commands; ZCOUNT ZLEXCOUNT ZRANK ZREVRANK", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "{zr}k"
      const lex = "{zr}lex"
      const dst = "{zr}dst"
      yield* redis.zadd(k, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 })
      yield* redis.zadd(lex, { a: 0, b: 0, c: 0, d: 0, e: 0 })
      expect(yield* redis.zrange(k, 0, -1)).toEqual(["a", "b", "c", "d", "e", "f", "g"])
      expect(yield* redis.zrange(k, 0, 1, { rev: true })).toEqual(["g", "f"])
      expect(yield* redis.zrange(k, "(2", 5, { by: "SCORE" })).toEqual(["c", "d", "e"])
      expect(yield* redis.zrange(k, 5, "(2", { by: "SCORE", rev: true })).toEqual(["e", "d", "c"])
      expect(yield* redis.zrange(k, -Infinity, Infinity, { by: "SCORE", limit: { offset: 1, count: 2 } })).toEqual(["b", "c"])
      expect(yield* redis.zrangeWithScores(k, 0, 1)).toEqual([sm("a", 1), sm("b", 2)])
      expect(yield* redis.zrangeWithScores(k, 0, 0, { rev: true })).toEqual([sm("g", 7)])
      expect(yield* redis.zrangeWithScores(k, 6, "+inf", { by: "SCORE" })).toEqual([sm("f", 6), sm("g", 7)])
      expect(yield* redis.zrange(lex, "[b", "(d", { by: "LEX" })).toEqual(["b", "c"])
      expect(yield* redis.zrange(lex, "+", "-", { by: "LEX", rev: true, limit: { offset: 0, count: 2 } })).toEqual(["e", "d"])
      expect(yield* redis.zrangebylex(lex, "-", "+", { limit: { offset: 1, count: 2 } })).toEqual(["b", "c"])
      expect(yield* redis.zrangebylex(lex, "(c", "+")).toEqual(["d", "e"])
      expect(yield* redis.zrevrangebylex(lex, "(d", "[b")).toEqual(["c", "b"])
      expect(yield* redis.zrevrangebylex(lex, "+", "-", { limit: { offset: 1, count: 1 } })).toEqual(["d"])
      expect(yield* redis.zlexcount(lex, "[b", "+")).toBe(4)
      expect(yield* redis.zlexcount(lex, "(a", "(c")).toBe(1)
      expect(yield* redis.zrangebyscore(k, 2, 4)).toEqual(["b", "c", "d"])
      expect(yield* redis.zrangebyscore(k, 2, 4, { limit: { offset: 1, count: 1 } })).toEqual(["c"])
      expect(yield* redis.zrangebyscoreWithScores(k, "(5", "+inf")).toEqual([sm("f", 6), sm("g", 7)])
      expect(yield* redis.zrangebyscoreWithScores(k, 1, 7, { limit: { offset: 5, count: -1 } })).toEqual([sm("f", 6), sm("g", 7)])
      expect(yield* redis.zrevrangebyscore(k, 4, 2)).toEqual(["d", "c", "b"])
      expect(yield* redis.zrevrangebyscore(k, "+inf", "-inf", { limit: { offset: 0, count: 2 } })).toEqual(["g", "f"])
      expect(yield* redis.zrevrangebyscoreWithScores(k, Infinity, 6, { limit: { offset: 0, count: 1 } })).toEqual([sm("g", 7)])
      expect(yield* redis.zrevrange(k, 0, 2)).toEqual(["g", "f", "e"])
      expect(yield* redis.zrevrangeWithScores(k, -1, -1)).toEqual([sm("a", 1)])
      expect(yield* redis.zcount(k, "(1", 3)).toBe(2)
      expect(yield* redis.zcount(k, -Infinity, Infinity)).toBe(7)
      expect(yield* redis.zcount(k, 100, 200)).toBe(0)
      expect(yield* redis.zrank(k, "c")).toEqual(Option.some(2))
      expect(yield* redis.zrevrank(k, "c")).toEqual(Option.some(4))
      expect(yield* redis.zrank(k, "nope")).toEqual(Option.none())
      expect(yield* redis.zrevrank("z:missing", "a")).toEqual(Option.none())
      expect(yield* redis.zrangestore(dst, k, 1, 3, { by: "SCORE" })).toBe(3)
      expect(yield* redis.zrangeWithScores(dst, 0, -1)).toEqual([sm("a", 1), sm("b", 2), sm("c", 3)])
      expect(yield* redis.zrangestore(dst, k, 0, 1, { rev: true })).toBe(2)
      expect(yield* redis.zrange(dst, 0, -1)).toEqual(["f", "g"])
      expect(yield* redis.zrangestore(dst, lex, "[d", "+", { by: "LEX" })).toBe(2)
      expect(yield* redis.zrange(dst, 0, -1)).toEqual(["d", "e"])
      // Missing keys.
      expect(yield* redis.zrange("z:missing", 0, -1)).toEqual([])
      expect(yield* redis.zrangeWithScores("z:missing", 0, -1)).toEqual([])
      expect(yield* redis.zrangebyscore("z:missing", "-inf", "+inf")).toEqual([])
      expect(yield* redis.zlexcount("z:missing", "-", "+")).toBe(0)
      // A bad bound is the server's error, typed.
      expect(yield* tagOf(redis.zrangebylex(lex, "b", "+"))).toBe("ReplyError")
      expect(Command.zrange("k", 0, 5, { by: "SCORE", rev: true, limit: { offset: 1, count: 2 } }).args).toEqual(
        ["ZRANGE", "k", 0, 5, "BYSCORE", "REV", "LIMIT", 1, 2]
      )
    }))

  it.effect("ZREM ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "z:pop"
      yield* redis.zadd(k, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })
      expect(yield* redis.zrem(k, "a", "nope")).toBe(1)
      expect(yield* redis.zrem(k, "nope")).toBe(0)
      expect(yield* redis.zremrangebyrank(k, 0, 0)).toBe(1)
      expect(yield* redis.zremrangebyscore(k, "(5", "+inf")).toBe(1)
      expect(yield* redis.zrange(k, 0, -1)).toEqual(["c", "d", "e"])
      expect(yield* redis.zpopmin(k)).toEqual([sm("c", 3)])
      expect(yield* redis.zpopmax(k)).toEqual([sm("e", 5)])
      expect(yield* redis.zpopmax(k, 5)).toEqual([sm("d", 4)])
      expect(yield* redis.zpopmin(k)).toEqual([])
      expect(yield* redis.zpopmin("z:missing", 3)).toEqual([])
      yield* redis.zadd(k, { a: 1, b: 2, c: 3 })
      expect(yield* redis.zpopmin(k, 2)).toEqual([sm("a", 1), sm("b", 2)])
      const lex = "z:lexrm"
      yield* redis.zadd(lex, { a: 0, b: 0, c: 0, d: 0, e: 0 })
      expect(yield* redis.zremrangebylex(lex, "[b", "(d")).toBe(2)
      expect(yield* redis.zrange(lex, 0, -1)).toEqual(["a", "d", "e"])
      expect(yield* redis.zremrangebylex("z:missing", "-", "+")).toBe(0)
      const m = "{zm}a"
      yield* redis.zadd(m, { x: 1, y: 2, z: 3 })
      expect(yield* redis.zmpop(["{zm}none", m], "MAX", { count: 2 })).toEqual(Option.some({ key: m, members: [sm("z", 3), sm("y", 2)] }))
      expect(yield* redis.zmpop([m], "MIN")).toEqual(Option.some({ key: m, members: [sm("x", 1)] }))
      expect(yield* redis.zmpop(["{zm}none", m], "MIN")).toEqual(Option.none())
      expect(Command.zmpop(["a", "b"], "MIN", { count: 2 }).args).toEqual(["ZMPOP", 2, "a", "b", "MIN", "COUNT", 2])
    }))

  it.effect("ZRANDMEMBER: one, COUNT (distinct / with repeats), WITHSCORES; none when missing", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "z:rand"
      const all = { a: 1, b: 2, c: 3, d: Infinity }
      yield* redis.zadd(k, all)
      const one = yield* redis.zrandmember(k)
      expect(Option.isSome(one) && Object.keys(all).includes(one.value)).toBe(true)
      const two = yield* redis.zrandmemberCount(k, 2)
      expect(two).toHaveLength(2)
      expect(new Set(two).size).toBe(2)
      expect(sorted(yield* redis.zrandmemberCount(k, 10))).toEqual(["a", "b", "c", "d"])
      expect(yield* redis.zrandmemberCount(k, -7)).toHaveLength(7)
      expect(byMember(yield* redis.zrandmemberWithScores(k, 10))).toEqual([sm("a", 1), sm("b", 2), sm("c", 3), sm("d", Infinity)])
      const repeats = yield* redis.zrandmemberWithScores(k, -6)
      expect(repeats).toHaveLength(6)
      for (const { member, score } of repeats) expect(all[member as keyof typeof all]).toBe(score)
      expect(yield* redis.zrandmember("z:missing")).toEqual(Option.none())
      expect(yield* redis.zrandmemberCount("z:missing", 3)).toEqual([])
      expect(yield* redis.zrandmemberWithScores("z:missing", 3)).toEqual([])
    }))

  it.effect("ZUNION ZINTER ZDIFF (WEIGHTS AGGREGATE WITHSCORES) their STORE forms and ZINTERCARD; cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const [a, b, dst] = ["{zc}a", "{zc}b", "{zc}dst"]
      yield* redis.zadd(a, { x: 1, y: 2, z: 3 })
      yield* redis.zadd(b, { y: 10, z: 20, w: 5 })
      expect(yield* redis.zunion([a, b])).toEqual(["x", "w", "y", "z"])
      expect(yield* redis.zunionWithScores([a, b], { weights: [2, 1] })).toEqual([sm("x", 2), sm("w", 5), sm("y", 14), sm("z", 26)])
      expect(yield* redis.zunionWithScores([a, b], { aggregate: "MAX" })).toEqual([sm("x", 1), sm("w", 5), sm("y", 10), sm("z", 20)])
      expect(yield* redis.zinter([a, b])).toEqual(["y", "z"])
      expect(yield* redis.zinterWithScores([a, b], { aggregate: "MIN" })).toEqual([sm("y", 2), sm("z", 3)])
      expect(yield* redis.zinterWithScores([a, b], { weights: [1, 0.5], aggregate: "SUM" })).toEqual([sm("y", 7), sm("z", 13)])
      expect(yield* redis.zintercard([a, b])).toBe(2)
      expect(yield* redis.zintercard([a, b], { limit: 1 })).toBe(1)
      expect(yield* redis.zdiff(a, b)).toEqual(["x"])
      expect(yield* redis.zdiff(b, a)).toEqual(["w"])
      expect(yield* redis.zdiffWithScores(a, b)).toEqual([sm("x", 1)])
      expect(yield* redis.zdiff(a, "{zc}none")).toEqual(["x", "y", "z"])
      expect(yield* redis.zunionstore(dst, [a, b])).toBe(4)
      expect(yield* redis.zrangeWithScores(dst, 0, -1)).toEqual([sm("x", 1), sm("w", 5), sm("y", 12), sm("z", 23)])
      expect(yield* redis.zinterstore(dst, [a, b], { weights: [1, 0] })).toBe(2)
      expect(yield* redis.zrangeWithScores(dst, 0, -1)).toEqual([sm("y", 2), sm("z", 3)])
      expect(yield* redis.zdiffstore(dst, a, b)).toBe(1)
      expect(yield* redis.zrangeWithScores(dst, 0, -1)).toEqual([sm("x", 1)])
      expect(yield* redis.zinterstore(dst, [a, "{zc}none"])).toBe(0)
      expect(yield* redis.zcard(dst)).toBe(0)
      // Real commands: keys in different slots fail with CrossSlotError before sending.
      expect(Slot.slot("z:x")).not.toBe(Slot.slot("z:y"))
      expect(yield* tagOf(redis.zunion(["z:x", "z:y"]))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.zunionstore("z:x", ["z:y"]))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.zrangestore("z:x", "z:y", 0, -1))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.zdiff("z:x", "z:y"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.bzpopmin(["z:x", "z:y"], 0))).toBe("CrossSlotError")
      expect(Command.zinterstore("d", ["a", "b"], { weights: [1, 2], aggregate: "MAX" }).args).toEqual(
        ["ZINTERSTORE", "d", 2, "a", "b", "WEIGHTS", 1, 2, "AGGREGATE", "MAX"]
      )
      expect(Command.zinterstore("d", ["a", "b"]).keys).toEqual(["d", "a", "b"])
    }))

  it.effect("ZSCAN pages through a large sorted set with MATCH and COUNT; scores decoded", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "z:scan"
      const members = Array.from({ length: 300 }, (_, i) => ({ member: `m${i}`, score: i / 4 }))
      yield* redis.zadd(k, [...members, { member: "top", score: Infinity }])
      const walk = (options?: Command.ZscanOptions) =>
        Effect.gen(function*() {
          const seen = new Map<string, number>()
          let cursor = "0"
          let pages = 0
          do {
            const page = yield* redis.execute(Command.zscan(k, cursor, options))
            for (const { member, score } of page.members) seen.set(member, score)
            cursor = page.cursor
            pages++
          } while (cursor !== "0")
          return { seen, pages }
        })
      const full = yield* walk({ count: 30 })
      expect(full.pages).toBeGreaterThan(1)
      expect(full.seen.size).toBe(301)
      for (const { member, score } of members) expect(full.seen.get(member)).toBe(score)
      expect(full.seen.get("top")).toBe(Infinity)
      const matched = yield* walk({ match: "m1?", count: 1000 })
      expect(sorted(Array.from(matched.seen.keys()))).toEqual(sorted(Array.from({ length: 10 }, (_, i) => `m1${i}`)))
      const small = yield* redis.execute(Command.zscan("z:scan:small", 0))
      expect(small).toEqual({ cursor: "0", members: [] })
    }))

  it.effect("BZPOPMIN woken by ZADD from another fiber; BZPOPMAX BZMPOP immediate and timed out", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "{zb}k"
      const other = "{zb}other"
      const fiber = yield* Effect.forkChild(redis.bzpopmin([other, k], 10))
      yield* waitBlocked(k, 1)
      yield* redis.zadd(k, { late: 2.5, later: 3 })
      expect(yield* Fiber.join(fiber)).toEqual(Option.some({ key: k, member: "late", score: 2.5 }))
      expect(yield* redis.bzpopmax([other, k], 1)).toEqual(Option.some({ key: k, member: "later", score: 3 }))
      const started = Date.now()
      expect(yield* redis.bzpopmax(k, 0.15)).toEqual(Option.none())
      expect(Date.now() - started).toBeGreaterThanOrEqual(100)
      yield* redis.zadd(other, { p: 1, q: -Infinity, r: 3 })
      expect(yield* redis.bzmpop(1, [k, other], "MIN", { count: 2 })).toEqual(
        Option.some({ key: other, members: [sm("q", -Infinity), sm("p", 1)] })
      )
      expect(yield* redis.bzmpop(1, [other], "MAX")).toEqual(Option.some({ key: other, members: [sm("r", 3)] }))
      expect(yield* redis.bzmpop(0.05, [k, other], "MAX")).toEqual(Option.none())
      // An interrupted BZPOPMIN does not leave a blocked client behind.
      const blocked = yield* Effect.forkChild(redis.bzpopmin(k, 0))
      yield* waitBlocked(k, 1)
      yield* Fiber.interrupt(blocked)
      yield* waitBlocked(k, 0)
      yield* redis.zadd(k, { after: 1 })
      expect(yield* redis.bzpopmin(k, 1)).toEqual(Option.some({ key: k, member: "after", score: 1 }))
      for (const c of [Command.bzpopmin("k", 0.25), Command.bzpopmax("k", 0.25), Command.bzmpop(0.25, ["k"], "MIN")]) {
        expect([c.name, (c.flags & Command.BLOCKING) !== 0, c.blockMillis, c.readOnly]).toEqual([c.name, true, 250, false])
      }
    }))

  it.effect("read-only commands are flagged READONLY, writes are not", () =>
    Effect.sync(() => {
      const reads = [
        Command.zcard("k"),
        Command.zcount("k", 0, 1),
        Command.zdiff("k"),
        Command.zdiffWithScores("k"),
        Command.zinter(["k"]),
        Command.zinterWithScores(["k"]),
        Command.zintercard(["k"]),
        Command.zlexcount("k", "-", "+"),
        Command.zmscore("k", "m"),
        Command.zrandmember("k"),
        Command.zrandmemberCount("k", 1),
        Command.zrandmemberWithScores("k", 1),
        Command.zrange("k", 0, 1),
        Command.zrangeWithScores("k", 0, 1),
        Command.zrangebylex("k", "-", "+"),
        Command.zrangebyscore("k", 0, 1),
        Command.zrangebyscoreWithScores("k", 0, 1),
        Command.zrank("k", "m"),
        Command.zrevrange("k", 0, 1),
        Command.zrevrangeWithScores("k", 0, 1),
        Command.zrevrangebylex("k", "+", "-"),
        Command.zrevrangebyscore("k", 1, 0),
        Command.zrevrangebyscoreWithScores("k", 1, 0),
        Command.zrevrank("k", "m"),
        Command.zscan("k", 0),
        Command.zscore("k", "m"),
        Command.zunion(["k"]),
        Command.zunionWithScores(["k"])
      ]
      for (const c of reads) expect([c.name, c.readOnly]).toEqual([c.name, true])
      const writes = [
        Command.zadd("k", { m: 1 }),
        Command.zaddIncr("k", "m", 1),
        Command.zincrby("k", 1, "m"),
        Command.zdiffstore("d", "k"),
        Command.zinterstore("d", ["k"]),
        Command.zunionstore("d", ["k"]),
        Command.zrangestore("d", "k", 0, 1),
        Command.zmpop(["k"], "MIN"),
        Command.zpopmin("k"),
        Command.zpopmax("k"),
        Command.zrem("k", "m"),
        Command.zremrangebylex("k", "-", "+"),
        Command.zremrangebyrank("k", 0, 1),
        Command.zremrangebyscore("k", 0, 1)
      ]
      for (const c of writes) expect([c.name, c.readOnly]).toEqual([c.name, false])
    }))

  it.effect("RESP2 decodes every reply exactly as RESP3 (scores, infinities, pairs, blocking pops)", () =>
    Effect.gen(function*() {
      const resp3 = yield* sameOnBothProtocols(scenario)
      expect(resp3.zadd).toBe(4)
      expect(resp3.zaddIncr).toEqual([Option.some(2), Option.none()])
      expect(resp3.zincrby).toBe(1.75)
      expect(resp3.zscore).toEqual([Option.some(Infinity), Option.some(-Infinity), Option.none()])
      expect(resp3.zrangeWithScores).toEqual([sm("z", -Infinity), sm("x", 1.75), sm("w", 2), sm("y", Infinity)])
      expect(resp3.byScore).toEqual([sm("x", 1.75), sm("w", 2), sm("y", Infinity)])
      expect(resp3.zunion).toEqual([sm("z", -Infinity), sm("w", 2), sm("x", 3.75), sm("v", 4), sm("y", Infinity)])
      expect(resp3.zpopmin).toEqual([sm("z", -Infinity)])
      expect(resp3.zpopmax).toEqual([sm("y", Infinity)])
      expect(resp3.zmpop).toEqual(Option.some({ key: "{zp}a", members: [sm("x", 1.75)] }))
      expect(resp3.bzpopmin).toEqual(Option.some({ key: "{zp}b", member: "x", score: 1 }))
      expect(resp3.bzmpop).toEqual(Option.some({ key: "{zp}a", members: [sm("w", 2)] }))
      expect(resp3.timedOut).toEqual([Option.none(), Option.none()])
      expect(resp3.missing).toEqual([[], [], Option.none(), Option.none(), [], [], { cursor: "0", members: [] }])
    }))
})
