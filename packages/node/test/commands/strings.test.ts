import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Option, Result } from "effect"
import { commandEnv, onBoth, tagOf } from "../helpers/commandEnv.js"

const Env = commandEnv()

// Live clock: a transient CLUSTERDOWN/TRYAGAIN retry sleeps, which would never end on a TestClock.
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("string commands", (it) => {
  it.effect("APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.append("s:app", "Hello")).toBe(5)
      expect(yield* redis.append("s:app", " World")).toBe(11)
      expect(yield* redis.append("s:app:num", 42)).toBe(2)
      expect(yield* redis.strlen("s:app")).toBe(11)
      expect(yield* redis.strlen("s:missing")).toBe(0)
      expect(yield* redis.getrange("s:app", 0, 4)).toBe("Hello")
      expect(yield* redis.getrange("s:app", -5, -1)).toBe("World")
      expect(yield* redis.getrange("s:app", 100, 200)).toBe("")
      expect(yield* redis.getrange("s:missing", 0, 10)).toBe("")
      expect(yield* redis.substr("s:app", 6, 10)).toBe("World")
      expect(yield* redis.setrange("s:app", 6, "Redis")).toBe(11)
      expect(yield* redis.get("s:app")).toEqual(Option.some("Hello Redis"))
      // Zero-padded when writing past the end (here: a new key).
      expect(yield* redis.setrange("s:pad", 3, "x")).toBe(4)
      expect(yield* redis.get("s:pad")).toEqual(Option.some("\0\0\0x"))
      // Binary values in and out.
      expect(yield* redis.setrange("s:bin", 0, new Uint8Array([0xff, 0x00, 0x80]))).toBe(3)
      expect(yield* redis.append("s:bin", new Uint8Array([0x01]))).toBe(4)
      const bytes = yield* redis.getBytes("s:bin")
      expect(Option.map(bytes, (b) => Array.from(b))).toEqual(Option.some([0xff, 0x00, 0x80, 0x01]))
    }))

  it.effect("DECR, DECRBY, INCRBYFLOAT", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.decr("s:cnt")).toBe(-1)
      expect(yield* redis.decrby("s:cnt", 10)).toBe(-11)
      expect(yield* redis.decrby("s:cnt", -20)).toBe(9)
      expect(yield* redis.incrbyfloat("s:float", 1.5)).toBe(1.5)
      expect(yield* redis.incrbyfloat("s:float", 2.25)).toBe(3.75)
      expect(yield* redis.incrbyfloat("s:float", -4)).toBe(-0.25)
      expect(yield* redis.incrbyfloat("s:cnt", 0.5)).toBe(9.5)
      yield* redis.set("s:text", "abc")
      expect(yield* tagOf(redis.decr("s:text"))).toBe("ReplyError")
    }))

  it.effect("GETDEL, GETSET, GETEX (every option)", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.getset("s:gs", "one")).toEqual(Option.none())
      expect(yield* redis.getset("s:gs", "two")).toEqual(Option.some("one"))
      expect(yield* redis.getdel("s:gs")).toEqual(Option.some("two"))
      expect(yield* redis.getdel("s:gs")).toEqual(Option.none())
      expect(yield* redis.exists("s:gs")).toBe(0)

      expect(yield* redis.getex("s:gex:missing", { ex: 10 })).toEqual(Option.none())
      yield* redis.set("s:gex", "v")
      expect(yield* redis.getex("s:gex")).toEqual(Option.some("v"))
      expect(yield* redis.ttl("s:gex")).toBe(-1)
      expect(yield* redis.getex("s:gex", { ex: 100 })).toEqual(Option.some("v"))
      expect(yield* redis.ttl("s:gex")).toBeGreaterThan(90)
      expect(yield* redis.getex("s:gex", { persist: true })).toEqual(Option.some("v"))
      expect(yield* redis.ttl("s:gex")).toBe(-1)
      expect(yield* redis.getex("s:gex", { px: 50_000 })).toEqual(Option.some("v"))
      const ttlPx = yield* redis.ttl("s:gex")
      expect(ttlPx).toBeGreaterThan(40)
      expect(ttlPx).toBeLessThanOrEqual(50)
      const at = Math.floor(Date.now() / 1000) + 1000
      expect(yield* redis.getex("s:gex", { exat: at })).toEqual(Option.some("v"))
      expect(yield* redis.execute(Command.raw(["EXPIRETIME", "s:gex"], { keys: ["s:gex"] }))).toBe(at)
      const atMs = Date.now() + 2_000_000
      expect(yield* redis.getex("s:gex", { pxat: atMs })).toEqual(Option.some("v"))
      expect(yield* redis.execute(Command.raw(["PEXPIRETIME", "s:gex"], { keys: ["s:gex"] }))).toBe(atMs)
    }))

  it.effect("SETEX, PSETEX, SETNX", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.setex("s:setex", 100, "a")
      expect(yield* redis.get("s:setex")).toEqual(Option.some("a"))
      expect(yield* redis.ttl("s:setex")).toBeGreaterThan(90)
      yield* redis.psetex("s:psetex", 30_000, 7)
      expect(yield* redis.get("s:psetex")).toEqual(Option.some("7"))
      const ttl = yield* redis.ttl("s:psetex")
      expect(ttl).toBeGreaterThan(20)
      expect(ttl).toBeLessThanOrEqual(30)
      expect(yield* tagOf(redis.setex("s:setex", 0, "a"))).toBe("ReplyError")
      expect(yield* redis.setnx("s:nx", "first")).toBe(true)
      expect(yield* redis.setnx("s:nx", "second")).toBe(false)
      expect(yield* redis.get("s:nx")).toEqual(Option.some("first"))
    }))

  it.effect("LCS: string, LEN, IDX with MINMATCHLEN and WITHMATCHLEN; cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.mset({ "{lcs}1": "ohmytext", "{lcs}2": "mynewtext" })
      expect(yield* redis.lcs("{lcs}1", "{lcs}2")).toBe("mytext")
      expect(yield* redis.lcsLen("{lcs}1", "{lcs}2")).toBe(6)
      expect(yield* redis.lcs("{lcs}1", "{lcs}none")).toBe("")
      const full = {
        matches: [
          { key1: [4, 7], key2: [5, 8], length: 4 },
          { key1: [2, 3], key2: [0, 1], length: 2 }
        ],
        length: 6
      }
      expect(yield* redis.lcsIdx("{lcs}1", "{lcs}2")).toEqual(full)
      expect(yield* redis.lcsIdx("{lcs}1", "{lcs}2", { withMatchLen: true })).toEqual(full)
      expect(yield* redis.lcsIdx("{lcs}1", "{lcs}2", { minMatchLen: 4, withMatchLen: true })).toEqual({
        matches: [{ key1: [4, 7], key2: [5, 8], length: 4 }],
        length: 6
      })
      expect(Slot.slot("lcs:a")).not.toBe(Slot.slot("lcs:b"))
      const cross = yield* Effect.result(redis.lcs("lcs:a", "lcs:b"))
      expect(Result.isFailure(cross) && cross.failure._tag).toBe("CrossSlotError")
    }))

  it.effect("MSETNX: atomic within one slot, refused across slots", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.msetnx({ "{mx}a": "1", "{mx}b": "2" })).toBe(true)
      expect(yield* redis.msetnx([["{mx}b", "x"], ["{mx}c", 3]])).toBe(false)
      expect(yield* redis.mget(["{mx}a", "{mx}b", "{mx}c"])).toEqual([Option.some("1"), Option.some("2"), Option.none()])
      expect(yield* redis.msetnx([["{mx}c", new Uint8Array([0x41])]])).toBe(true)
      expect(yield* redis.get("{mx}c")).toEqual(Option.some("A"))
      expect(Slot.slot("mx:a")).not.toBe(Slot.slot("mx:b"))
      const cross = yield* Effect.result(redis.msetnx({ "mx:a": "1", "mx:b": "2" }))
      expect(Result.isFailure(cross) && cross.failure._tag).toBe("CrossSlotError")
      // Nothing was sent: neither key exists.
      expect(yield* redis.exists("mx:a", "mx:b")).toBe(0)
    }))

  it.effect("RESP2 decodes to the same values", () =>
    Effect.gen(function*() {
      const run = (c: RedisCluster.RedisClusterService, p: string) =>
        Effect.gen(function*() {
          const k = (s: string) => `{r2${p}}${s}`
          return [
            yield* c.append(k("a"), "hello"),
            yield* c.getrange(k("a"), 1, 3),
            yield* c.substr(k("a"), 0, 0),
            yield* c.setrange(k("a"), 5, "!"),
            yield* c.strlen(k("a")),
            yield* c.incrbyfloat(k("f"), 2.5),
            yield* c.decrby(k("n"), 3),
            yield* c.getset(k("a"), "new"),
            yield* c.getex(k("a"), { ex: 100 }),
            yield* c.getdel(k("a")),
            yield* c.getdel(k("a")),
            yield* c.setnx(k("nx"), "1"),
            yield* c.msetnx({ [k("m1")]: "ohmytext", [k("m2")]: "mynewtext" }),
            yield* c.lcs(k("m1"), k("m2")),
            yield* c.lcsLen(k("m1"), k("m2")),
            yield* c.lcsIdx(k("m1"), k("m2"), { withMatchLen: true }),
            yield* c.lcsIdx(k("m1"), k("m2"), { minMatchLen: 3 })
          ] as const
        })
      const { three, two } = yield* onBoth(run)
      expect(two).toEqual(three)
      expect(three[5]).toBe(2.5)
      expect(three[15].length).toBe(6)
    }))
})
