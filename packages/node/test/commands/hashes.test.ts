import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster } from "@keyslot/core"
import { Effect, Option, Result } from "effect"
import { commandEnv, sameOnBothProtocols, sorted } from "../helpers/commandEnv.js"

const Env = commandEnv()

/**
 * Every entry of a hash through HSCAN, page by page. (The service's `hscan` method is the Stream
 * wrapper; the one-page command runs through `execute`.)
 */
const scanAll = (redis: RedisCluster.RedisClusterService, key: string, options?: Command.HscanOptions) =>
  Effect.gen(function*() {
    const entries: Array<readonly [string, string]> = []
    let cursor = "0"
    let pages = 0
    do {
      const page = yield* redis.execute(Command.hscan(key, cursor, options))
      entries.push(...page.entries)
      cursor = page.cursor
      pages++
    } while (cursor !== "0")
    return { entries, pages }
  })

/** A deterministic run of hash commands; both protocols must decode it identically. */
const scenario = (redis: RedisCluster.RedisClusterService) =>
  Effect.gen(function*() {
    const k = "{hp}h"
    yield* redis.del(k, "{hp}none")
    const hset = yield* redis.hset(k, { a: "1", b: "two", c: "3.5" })
    const hdel = yield* redis.hdel(k, "b", "zz")
    const hexists = [yield* redis.hexists(k, "a"), yield* redis.hexists(k, "b")]
    const hincrby = yield* redis.hincrby(k, "a", 10)
    const hincrbyfloat = yield* redis.hincrbyfloat(k, "c", 1.25)
    const hmset = yield* redis.hmset(k, { d: "x", e: "y" })
    const hmget = yield* redis.hmget(k, "a", "nope", "d")
    const hsetnx = [yield* redis.hsetnx(k, "a", "0"), yield* redis.hsetnx(k, "f", "new")]
    const hstrlen = yield* redis.hstrlen(k, "f")
    const hlen = yield* redis.hlen(k)
    const hkeys = sorted(yield* redis.hkeys(k))
    const hvals = sorted(yield* redis.hvals(k))
    const withValues = [...(yield* redis.hrandfieldWithValues(k, 100))].sort((x, y) => x[0].localeCompare(y[0]))
    const count = sorted(yield* redis.hrandfieldCount(k, 100))
    const scan = yield* redis.execute(Command.hscan(k, 0))
    const hgetall = yield* redis.hgetall(k)
    const missing = [
      yield* redis.hrandfield("{hp}none"),
      yield* redis.hrandfieldCount("{hp}none", 3),
      yield* redis.hrandfieldWithValues("{hp}none", 3),
      yield* redis.hkeys("{hp}none"),
      yield* redis.execute(Command.hscan("{hp}none", 0))
    ]
    return { hset, hdel, hexists, hincrby, hincrbyfloat, hmset, hmget, hsetnx, hstrlen, hlen, hkeys, hvals, withValues, count, scan: { cursor: scan.cursor, entries: [...scan.entries].sort() }, hgetall, missing }
  })

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("hash commands", (it) => {
  it.effect("HDEL HEXISTS HINCRBY HINCRBYFLOAT HLEN HMGET HMSET HSETNX HSTRLEN HKEYS HVALS", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "h:basic"
      expect(yield* redis.hset(k, { a: "1", b: "hello", c: "2" })).toBe(3)
      expect(yield* redis.hdel(k, "c", "missing")).toBe(1)
      expect(yield* redis.hdel(k, "missing")).toBe(0)
      expect(yield* redis.hexists(k, "a")).toBe(true)
      expect(yield* redis.hexists(k, "c")).toBe(false)
      expect(yield* redis.hincrby(k, "a", 41)).toBe(42)
      expect(yield* redis.hincrby(k, "n", -5)).toBe(-5)
      expect(yield* redis.hincrbyfloat(k, "f", 0.5)).toBe(0.5)
      expect(yield* redis.hincrbyfloat(k, "f", 2.25)).toBe(2.75)
      expect(yield* redis.hincrbyfloat(k, "a", -0.5)).toBe(41.5)
      expect(yield* redis.hlen(k)).toBe(4)
      yield* redis.hmset(k, { m1: "x", m2: 7 })
      yield* redis.hmset(k, [["m3", "z"], [new TextEncoder().encode("bin"), new Uint8Array([0x41, 0x42])]])
      expect(yield* redis.hmget(k, "m1", "missing", "m2", "m3", "bin")).toEqual([
        Option.some("x"),
        Option.none(),
        Option.some("7"),
        Option.some("z"),
        Option.some("AB")
      ])
      expect(yield* redis.hsetnx(k, "m1", "other")).toBe(false)
      expect(yield* redis.hsetnx(k, "new", "v")).toBe(true)
      expect(yield* redis.hget(k, "m1")).toEqual(Option.some("x"))
      expect(yield* redis.hstrlen(k, "b")).toBe(5)
      expect(yield* redis.hstrlen(k, "missing")).toBe(0)
      expect(sorted(yield* redis.hkeys(k))).toEqual(["a", "b", "bin", "f", "m1", "m2", "m3", "n", "new"])
      expect(sorted(yield* redis.hvals(k))).toEqual(sorted(["41.5", "hello", "AB", "2.75", "x", "7", "z", "-5", "v"]))
      // Missing keys.
      expect(yield* redis.hlen("h:missing")).toBe(0)
      expect(yield* redis.hkeys("h:missing")).toEqual([])
      expect(yield* redis.hvals("h:missing")).toEqual([])
      expect(yield* redis.hexists("h:missing", "a")).toBe(false)
      expect(yield* redis.hmget("h:missing", "a", "b")).toEqual([Option.none(), Option.none()])
      // Errors stay typed.
      const bad = yield* Effect.result(redis.hincrby(k, "b", 1))
      expect(Result.isFailure(bad) && bad.failure._tag).toBe("ReplyError")
    }))

  it.effect("HRANDFIELD: one, COUNT (distinct / with repeats), WITHVALUES pairs; none when missing", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "h:rand"
      const all = { a: "1", b: "2", c: "3", d: "4" }
      yield* redis.hset(k, all)
      const one = yield* redis.hrandfield(k)
      expect(Option.isSome(one) && Object.keys(all).includes(one.value)).toBe(true)
      const two = yield* redis.hrandfieldCount(k, 2)
      expect(two).toHaveLength(2)
      expect(new Set(two).size).toBe(2)
      expect(sorted(yield* redis.hrandfieldCount(k, 10))).toEqual(["a", "b", "c", "d"])
      const repeats = yield* redis.hrandfieldCount(k, -9)
      expect(repeats).toHaveLength(9)
      for (const f of repeats) expect(Object.keys(all)).toContain(f)
      const pairs = yield* redis.hrandfieldWithValues(k, 3)
      expect(pairs).toHaveLength(3)
      for (const [f, v] of pairs) expect(all[f as keyof typeof all]).toBe(v)
      expect(yield* redis.hrandfieldWithValues(k, -5)).toHaveLength(5)
      expect(yield* redis.hrandfield("h:rand:none")).toEqual(Option.none())
      expect(yield* redis.hrandfieldCount("h:rand:none", 2)).toEqual([])
      expect(yield* redis.hrandfieldWithValues("h:rand:none", 2)).toEqual([])
    }))

  it.effect("HSCAN pages through a large hash with MATCH and COUNT", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "h:scan"
      const fields: Record<string, string> = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]))
      // A value over hash-max-listpack-value makes it a real hashtable, scanned in several pages.
      fields["big"] = "x".repeat(100)
      yield* redis.hset(k, fields)
      const { entries, pages } = yield* scanAll(redis, k, { count: 50 })
      expect(pages).toBeGreaterThan(1)
      expect(Object.fromEntries(entries)).toEqual(fields)
      const matched = yield* scanAll(redis, k, { match: "f1?", count: 1000 })
      expect(sorted(matched.entries.map(([f]) => f))).toEqual(sorted(Array.from({ length: 10 }, (_, i) => `f1${i}`)))
      for (const [f, v] of matched.entries) expect(v).toBe(fields[f])
      // A small (listpack) hash comes back whole in one page.
      yield* redis.hset("h:scan:small", { x: "1", y: "2" })
      const small = yield* redis.execute(Command.hscan("h:scan:small", "0"))
      expect(small.cursor).toBe("0")
      expect([...small.entries].sort()).toEqual([["x", "1"], ["y", "2"]])
      expect(yield* redis.execute(Command.hscan("h:scan:none", 0))).toEqual({ cursor: "0", entries: [] })
    }))

  it.effect("binary fields and values", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = new Uint8Array([0x68, 0x00, 0xff])
      const field = new Uint8Array([0x00, 0x01])
      expect(yield* redis.hsetnx(k, field, new Uint8Array([0x61, 0x62, 0x63]))).toBe(true)
      expect(yield* redis.hstrlen(k, field)).toBe(3)
      expect(yield* redis.hexists(k, field)).toBe(true)
      expect(yield* redis.hmget(k, field)).toEqual([Option.some("abc")])
      expect(yield* redis.hdel(k, field)).toBe(1)
    }))

  it.effect("read-only commands are flagged READONLY, writes are not", () =>
    Effect.sync(() => {
      const reads = [
        Command.hexists("k", "f"),
        Command.hkeys("k"),
        Command.hlen("k"),
        Command.hmget("k", "f"),
        Command.hrandfield("k"),
        Command.hrandfieldCount("k", 1),
        Command.hrandfieldWithValues("k", 1),
        Command.hscan("k", 0),
        Command.hstrlen("k", "f"),
        Command.hvals("k")
      ]
      for (const c of reads) expect([c.name, c.readOnly]).toEqual([c.name, true])
      const writes = [Command.hdel("k", "f"), Command.hincrby("k", "f", 1), Command.hincrbyfloat("k", "f", 1), Command.hmset("k", { a: 1 }), Command.hsetnx("k", "f", "v")]
      for (const c of writes) expect([c.name, c.readOnly]).toEqual([c.name, false])
      expect(Command.hscan("k", 0, { match: "a*", count: 5 }).args).toEqual(["HSCAN", "k", 0, "MATCH", "a*", "COUNT", 5])
    }))

  it.effect("RESP2 decodes every reply exactly as RESP3", () =>
    Effect.gen(function*() {
      const resp3 = yield* sameOnBothProtocols(scenario)
      // Spot checks that the shared result is the right one.
      expect(resp3.hincrbyfloat).toBe(4.75)
      expect(resp3.withValues).toEqual([["a", "11"], ["c", "4.75"], ["d", "x"], ["e", "y"], ["f", "new"]])
      expect(resp3.missing).toEqual([Option.none(), [], [], [], { cursor: "0", entries: [] }])
    }))
})
