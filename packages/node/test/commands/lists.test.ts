import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Fiber, Option } from "effect"
import { commandEnv, sameOnBothProtocols, tagOf, waitBlocked } from "../helpers/commandEnv.js"

const Env = commandEnv()

/** A deterministic run of list commands; both protocols must decode it identically. */
const scenario = (redis: RedisCluster.RedisClusterService) =>
  Effect.gen(function*() {
    const a = "{lp}a"
    const b = "{lp}b"
    const none = "{lp}none"
    yield* redis.del(a, b, none)
    return [
      yield* redis.rpush(a, "x", "y", "z", "y", 5),
      yield* redis.lpush(a, "w"),
      yield* redis.lrange(a, 0, -1),
      yield* redis.lindex(a, -1),
      yield* redis.lindex(a, 99),
      yield* redis.linsert(a, "AFTER", "x", "x2"),
      yield* redis.lpos(a, "y"),
      yield* redis.lpos(a, "y", { rank: -1 }),
      yield* redis.lpos(a, "nope"),
      yield* redis.lposCount(a, "y", 0),
      yield* redis.lmove(a, b, "LEFT", "RIGHT"),
      yield* redis.lmpop([none, a], "RIGHT", { count: 2 }),
      yield* redis.lmpop([none], "LEFT"),
      yield* redis.lpopCount(a, 2),
      yield* redis.lpopCount(none, 2),
      yield* redis.rpop(b),
      yield* redis.rpop(b),
      yield* redis.blpop([none, a], 1),
      yield* redis.blpop(none, 0.05),
      yield* redis.blmpop(0.05, [none], "LEFT"),
      yield* redis.lset(a, 0, "v"),
      yield* redis.llen(a)
    ]
  })

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("list commands", (it) => {
  it.effect("LPUSH RPUSH LPUSHX RPUSHX LLEN LRANGE LINDEX LINSERT LSET LTRIM LREM", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "l:basic"
      expect(yield* redis.lpushx(k, "a")).toBe(0)
      expect(yield* redis.rpushx(k, "a")).toBe(0)
      expect(yield* redis.rpush(k, "b", "c")).toBe(2)
      expect(yield* redis.lpush(k, "a", 0)).toBe(4) // pushed one by one: 0 ends up first
      expect(yield* redis.lpushx(k, "head")).toBe(5)
      expect(yield* redis.rpushx(k, "tail", "tail2")).toBe(7)
      expect(yield* redis.lrange(k, 0, -1)).toEqual(["head", "0", "a", "b", "c", "tail", "tail2"])
      expect(yield* redis.lrange(k, 1, 2)).toEqual(["0", "a"])
      expect(yield* redis.llen(k)).toBe(7)
      expect(yield* redis.lindex(k, 0)).toEqual(Option.some("head"))
      expect(yield* redis.lindex(k, -1)).toEqual(Option.some("tail2"))
      expect(yield* redis.lindex(k, 100)).toEqual(Option.none())
      expect(yield* redis.linsert(k, "BEFORE", "b", "b0")).toBe(8)
      expect(yield* redis.linsert(k, "AFTER", "b", "b1")).toBe(9)
      expect(yield* redis.linsert(k, "AFTER", "nope", "x")).toBe(-1)
      expect(yield* redis.linsert("l:missing", "AFTER", "b", "x")).toBe(0)
      yield* redis.lset(k, 1, "zero")
      expect(yield* redis.lindex(k, 1)).toEqual(Option.some("zero"))
      expect(yield* tagOf(redis.lset(k, 100, "x"))).toBe("ReplyError")
      yield* redis.ltrim(k, 1, -2)
      expect(yield* redis.lrange(k, 0, -1)).toEqual(["zero", "a", "b0", "b", "b1", "c", "tail"])
      yield* redis.rpush(k, "a", "a", "a")
      expect(yield* redis.lrem(k, 1, "a")).toBe(1)
      expect(yield* redis.lrem(k, -1, "a")).toBe(1)
      expect(yield* redis.lrange(k, 0, -1)).toEqual(["zero", "b0", "b", "b1", "c", "tail", "a", "a"])
      expect(yield* redis.lrem(k, 0, "b")).toBe(1)
      expect(yield* redis.lrem(k, 0, "nope")).toBe(0)
      // Missing keys.
      expect(yield* redis.llen("l:missing")).toBe(0)
      expect(yield* redis.lrange("l:missing", 0, -1)).toEqual([])
      expect(yield* redis.lindex("l:missing", 0)).toEqual(Option.none())
      expect(yield* tagOf(redis.lset("l:missing", 0, "x"))).toBe("ReplyError")
    }))

  it.effect("LPOP RPOP (with count) and LPOS (RANK, COUNT, MAXLEN)", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "l:pop"
      yield* redis.rpush(k, "a", "b", "c", "b", "d", "b", "e")
      expect(yield* redis.lpos(k, "b")).toEqual(Option.some(1))
      expect(yield* redis.lpos(k, "b", { rank: 2 })).toEqual(Option.some(3))
      expect(yield* redis.lpos(k, "b", { rank: -1 })).toEqual(Option.some(5))
      expect(yield* redis.lpos(k, "e", { maxlen: 3 })).toEqual(Option.none())
      expect(yield* redis.lpos(k, "nope")).toEqual(Option.none())
      expect(yield* redis.lposCount(k, "b", 0)).toEqual([1, 3, 5])
      expect(yield* redis.lposCount(k, "b", 2)).toEqual([1, 3])
      expect(yield* redis.lposCount(k, "b", 0, { rank: -1, maxlen: 3 })).toEqual([5])
      expect(yield* redis.lposCount(k, "nope", 0)).toEqual([])
      expect(yield* redis.lpos("l:missing", "a")).toEqual(Option.none())
      expect(yield* redis.lpop(k)).toEqual(Option.some("a"))
      expect(yield* redis.rpop(k)).toEqual(Option.some("e"))
      expect(yield* redis.lpopCount(k, 2)).toEqual(["b", "c"])
      expect(yield* redis.rpopCount(k, 2)).toEqual(["b", "d"])
      expect(yield* redis.rpopCount(k, 10)).toEqual(["b"])
      expect(yield* redis.lpop(k)).toEqual(Option.none())
      expect(yield* redis.rpop(k)).toEqual(Option.none())
      expect(yield* redis.lpopCount(k, 3)).toEqual([])
      expect(yield* redis.rpopCount("l:missing", 3)).toEqual([])
    }))

  it.effect("LMOVE RPOPLPUSH LMPOP on keys sharing a slot; cross-slot keys are refused before sending", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const src = "{lm}src"
      const dst = "{lm}dst"
      const other = "{lm}other"
      yield* redis.rpush(src, "1", "2", "3", "4", "5")
      expect(yield* redis.lmove(src, dst, "LEFT", "RIGHT")).toEqual(Option.some("1"))
      expect(yield* redis.lmove(src, dst, "RIGHT", "LEFT")).toEqual(Option.some("5"))
      expect(yield* redis.rpoplpush(src, dst)).toEqual(Option.some("4"))
      expect(yield* redis.lrange(dst, 0, -1)).toEqual(["4", "5", "1"])
      expect(yield* redis.lmove(other, dst, "LEFT", "LEFT")).toEqual(Option.none())
      expect(yield* redis.rpoplpush(other, dst)).toEqual(Option.none())
      expect(yield* redis.lmpop([other, src], "LEFT")).toEqual(Option.some({ key: src, elements: ["2"] }))
      expect(yield* redis.lmpop([other, dst], "RIGHT", { count: 2 })).toEqual(Option.some({ key: dst, elements: ["1", "5"] }))
      expect(yield* redis.lmpop([other], "LEFT", { count: 5 })).toEqual(Option.none())
      // Real commands, not emulations: keys in different slots fail with CrossSlotError.
      expect(Slot.slot("l:a")).not.toBe(Slot.slot("l:b"))
      expect(yield* tagOf(redis.lmove("l:a", "l:b", "LEFT", "LEFT"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.rpoplpush("l:a", "l:b"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.lmpop(["l:a", "l:b"], "LEFT"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.blpop(["l:a", "l:b"], 0))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.blmove("l:a", "l:b", "LEFT", "LEFT", 0))).toBe("CrossSlotError")
    }))

  it.effect("BLPOP is woken by an LPUSH from another fiber", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "l:wake"
      const fiber = yield* Effect.forkChild(redis.blpop(k, 10))
      yield* waitBlocked(k, 1)
      expect(yield* redis.lpush(k, "hello")).toBe(1)
      expect(yield* Fiber.join(fiber)).toEqual(Option.some({ key: k, element: "hello" }))
      expect(yield* redis.llen(k)).toBe(0)
      yield* waitBlocked(k, 0)
    }))

  it.effect("a BLPOP whose timeout passes gives none; fractional seconds", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const started = Date.now()
      expect(yield* redis.blpop("l:empty", 0.2)).toEqual(Option.none())
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(150)
      expect(elapsed).toBeLessThan(3000)
      expect(Command.blpop("l:empty", 0.2).blockMillis).toBe(200)
      expect(Command.blpop("l:empty", 0).blockMillis).toBe(0)
      expect(Command.blpop("l:empty", 0.0001).blockMillis).toBe(1)
      expect(Command.blpop(["a", "b"], 1.5).args).toEqual(["BLPOP", "a", "b", 1.5])
      // The connection went back to the pool after a normal nil reply and serves the next one.
      yield* redis.rpush("l:empty", "late")
      expect(yield* redis.blpop("l:empty", 0.2)).toEqual(Option.some({ key: "l:empty", element: "late" }))
    }))

  it.effect("an interrupted BLPOP closes its connection; the client and later BLPOPs on that node still work", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "{lint}k"
      const fiber = yield* Effect.forkChild(redis.blpop(k, 0))
      yield* waitBlocked(k, 1)
      // While it blocks, the shared connection to the same node is not stalled.
      yield* redis.set("{lint}plain", "v")
      expect(yield* redis.get("{lint}plain")).toEqual(Option.some("v"))
      yield* Fiber.interrupt(fiber)
      // The server unblocks it only because its connection was closed (nothing was pushed).
      yield* waitBlocked(k, 0)
      expect(yield* redis.ping()).toBe("PONG")
      // Had the connection been reused, the old BLPOP would take this element and the new one time out.
      yield* redis.rpush(k, "after")
      expect(yield* redis.blpop(k, 2)).toEqual(Option.some({ key: k, element: "after" }))
      // Again, with the new BLPOP blocking first.
      const next = yield* Effect.forkChild(redis.blpop(k, 5))
      yield* waitBlocked(k, 1)
      yield* redis.rpush(k, "again")
      expect(yield* Fiber.join(next)).toEqual(Option.some({ key: k, element: "again" }))
    }))

  it.effect("BRPOP BLMOVE BLMPOP BRPOPLPUSH: immediate data, wake-ups and timeouts", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const a = "{lb}a"
      const b = "{lb}b"
      const empty = "{lb}empty"
      yield* redis.rpush(b, "1", "2", "3", "4")
      expect(yield* redis.brpop([empty, b], 1)).toEqual(Option.some({ key: b, element: "4" }))
      expect(yield* redis.brpop(empty, 0.05)).toEqual(Option.none())
      expect(yield* redis.blmove(b, a, "LEFT", "RIGHT", 1)).toEqual(Option.some("1"))
      expect(yield* redis.blmove(empty, a, "LEFT", "RIGHT", 0.05)).toEqual(Option.none())
      expect(yield* redis.brpoplpush(b, a, 1)).toEqual(Option.some("3"))
      expect(yield* redis.brpoplpush(empty, a, 0.05)).toEqual(Option.none())
      expect(yield* redis.lrange(a, 0, -1)).toEqual(["3", "1"])
      expect(yield* redis.blmpop(1, [empty, a], "RIGHT", { count: 5 })).toEqual(Option.some({ key: a, elements: ["1", "3"] }))
      expect(yield* redis.blmpop(0.05, [empty, a], "LEFT")).toEqual(Option.none())
      // BLMOVE woken by a push from another fiber.
      const mover = yield* Effect.forkChild(redis.blmove(empty, a, "RIGHT", "LEFT", 10))
      yield* waitBlocked(empty, 1)
      yield* redis.rpush(empty, "moved")
      expect(yield* Fiber.join(mover)).toEqual(Option.some("moved"))
      expect(yield* redis.lrange(a, 0, -1)).toEqual(["moved"])
      for (const c of [Command.brpop("k", 1), Command.blmove("a", "b", "LEFT", "LEFT", 1), Command.blmpop(1, ["k"], "LEFT"), Command.brpoplpush("a", "b", 1)]) {
        expect([c.name, (c.flags & Command.BLOCKING) !== 0, c.blockMillis]).toEqual([c.name, true, 1000])
      }
    }))

  it.effect("read-only commands are flagged READONLY, writes are not", () =>
    Effect.sync(() => {
      for (const c of [Command.lindex("k", 0), Command.llen("k"), Command.lpos("k", "x"), Command.lposCount("k", "x", 0), Command.lrange("k", 0, 1)]) {
        expect([c.name, c.readOnly]).toEqual([c.name, true])
      }
      for (const c of [Command.lpush("k", "x"), Command.lpop("k"), Command.lmove("a", "b", "LEFT", "LEFT"), Command.lmpop(["a"], "LEFT"), Command.blpop("k", 0), Command.ltrim("k", 0, 1)]) {
        expect([c.name, c.readOnly]).toEqual([c.name, false])
      }
      expect(Command.lmpop(["a", "b"], "LEFT", { count: 3 }).args).toEqual(["LMPOP", 2, "a", "b", "LEFT", "COUNT", 3])
      expect(Command.blmpop(0.5, ["a"], "RIGHT").args).toEqual(["BLMPOP", 0.5, 1, "a", "RIGHT"])
      expect(Command.lpos("k", "x", { rank: 2, maxlen: 9 }).args).toEqual(["LPOS", "k", "x", "RANK", 2, "MAXLEN", 9])
    }))

  it.effect("RESP2 decodes every reply exactly as RESP3 (blocking ones included)", () =>
    Effect.gen(function*() {
      const resp3 = yield* sameOnBothProtocols(scenario)
      expect(resp3).toEqual([
        5,
        6,
        ["w", "x", "y", "z", "y", "5"],
        Option.some("5"),
        Option.none(),
        7,
        Option.some(3),
        Option.some(5),
        Option.none(),
        [3, 5],
        Option.some("w"),
        Option.some({ key: "{lp}a", elements: ["5", "y"] }),
        Option.none(),
        ["x", "x2"],
        [],
        Option.some("w"),
        Option.none(),
        Option.some({ key: "{lp}a", element: "y" }),
        Option.none(),
        Option.none(),
        undefined,
        1
      ])
    }))
})
