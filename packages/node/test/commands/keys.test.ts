import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture, RedisServer } from "@keyslot/test-utils"
import { Array as Arr, Effect, Option, Result } from "effect"
import { commandEnv, onBoth } from "../helpers/commandEnv.js"

const Env = commandEnv()

const failure = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.result(effect), (r) => (Result.isFailure(r) ? { tag: r.failure._tag, message: String((r.failure as { message?: string }).message) } : { tag: "success", message: "" }))

const rpush = (k: Command.Arg, ...values: ReadonlyArray<Command.Arg>) => Command.raw(["RPUSH", k, ...values], { keys: [k] })
const lrange = (k: Command.Arg) => Command.raw(["LRANGE", k, 0, -1], { keys: [k], readOnly: true })

// Live clock: a transient CLUSTERDOWN/TRYAGAIN retry sleeps, which would never end on a TestClock.
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("generic key commands", (it) => {
  it.effect("MIGRATE moves keys from their owner to another server (COPY, KEYS, NOKEY)", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const target = yield* RedisServer.make()
      yield* redis.set("{mg}a", "1")
      yield* redis.set("{mg}b", "2")
      expect(yield* redis.migrate(target.host, target.port, "{mg}a", 5000, { copy: true })).toBe("OK")
      expect(yield* target.command("GET", "{mg}a")).toBe("1")
      expect(yield* redis.get("{mg}a")).toEqual(Option.some("1"))
      expect(yield* redis.migrate(target.host, target.port, ["{mg}a", "{mg}b"], 5000, { replace: true })).toBe("OK")
      expect(yield* target.command("GET", "{mg}b")).toBe("2")
      expect(yield* redis.exists("{mg}a", "{mg}b")).toBe(0)
      expect(yield* redis.migrate(target.host, target.port, "{mg}gone", 5000)).toBe("NOKEY")
      const cross = yield* Effect.result(redis.migrate(target.host, target.port, ["mg:x", "mg:y"], 5000))
      expect(Result.isFailure(cross) && cross.failure._tag).toBe("CrossSlotError")
    })))

  it.effect("COPY (REPLACE), RENAME, RENAMENX; cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("{cp}src", "1")
      expect(yield* redis.copy("{cp}src", "{cp}dst")).toBe(true)
      expect(yield* redis.get("{cp}dst")).toEqual(Option.some("1"))
      yield* redis.set("{cp}src", "2")
      expect(yield* redis.copy("{cp}src", "{cp}dst")).toBe(false)
      expect(yield* redis.copy("{cp}src", "{cp}dst", { replace: true })).toBe(true)
      expect(yield* redis.get("{cp}dst")).toEqual(Option.some("2"))
      expect(yield* redis.copy("{cp}missing", "{cp}dst2")).toBe(false)

      yield* redis.rename("{cp}src", "{cp}renamed")
      expect(yield* redis.get("{cp}renamed")).toEqual(Option.some("2"))
      expect(yield* redis.exists("{cp}src")).toBe(0)
      const missing = yield* failure(redis.rename("{cp}src", "{cp}x"))
      expect(missing.tag).toBe("ReplyError")
      expect(missing.message).toContain("no such key")
      expect(yield* redis.renamenx("{cp}renamed", "{cp}dst")).toBe(false)
      expect(yield* redis.renamenx("{cp}renamed", "{cp}fresh")).toBe(true)
      expect(yield* redis.get("{cp}fresh")).toEqual(Option.some("2"))

      expect(Slot.slot("cp:a")).not.toBe(Slot.slot("cp:b"))
      yield* redis.set("cp:a", "x")
      for (const attempt of [redis.copy("cp:a", "cp:b"), redis.rename("cp:a", "cp:b"), redis.renamenx("cp:a", "cp:b")]) {
        expect((yield* failure(attempt)).tag).toBe("CrossSlotError")
      }
      expect(yield* redis.get("cp:a")).toEqual(Option.some("x"))
    }))

  it.effect("DUMP returns bytes that RESTORE accepts (REPLACE, ABSTTL, IDLETIME)", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.dump("dr:missing")).toEqual(Option.none())
      yield* redis.hset("dr:h", { a: "1", b: "2" })
      const dumped = yield* redis.dump("dr:h")
      expect(Option.isSome(dumped)).toBe(true)
      const payload = Option.getOrThrow(dumped)
      expect(payload).toBeInstanceOf(Uint8Array)
      // The payload ends with the RDB version and a CRC64: not valid UTF-8 in general, kept as bytes.
      expect(payload.length).toBeGreaterThan(10)

      yield* redis.restore("dr:copy", 0, payload)
      expect(yield* redis.hgetall("dr:copy")).toEqual({ a: "1", b: "2" })
      expect(yield* redis.pttl("dr:copy")).toBe(-1)
      const busy = yield* failure(redis.restore("dr:copy", 0, payload))
      expect(busy.tag).toBe("ReplyError")
      expect(busy.message).toContain("BUSYKEY")
      yield* redis.restore("dr:copy", 60_000, payload, { replace: true })
      const pttl = yield* redis.pttl("dr:copy")
      expect(pttl).toBeGreaterThan(50_000)
      expect(pttl).toBeLessThanOrEqual(60_000)
      const at = Date.now() + 3_600_000
      yield* redis.restore("dr:abs", at, payload, { absttl: true })
      expect(yield* redis.pexpiretime("dr:abs")).toBe(at)
      yield* redis.restore("dr:idle", 0, payload, { idletime: 5000 })
      const idle = Option.getOrThrow(yield* redis.objectIdletime("dr:idle"))
      expect(idle).toBeGreaterThanOrEqual(5000)
      expect(idle).toBeLessThan(5100)

      // Binary values survive the round trip.
      const bin = new Uint8Array([0, 255, 1, 254, 13, 10])
      yield* redis.set("dr:bin", bin)
      yield* redis.restore("dr:bin2", 0, Option.getOrThrow(yield* redis.dump("dr:bin")))
      expect(Option.map(yield* redis.getBytes("dr:bin2"), (b) => Array.from(b))).toEqual(Option.some(Array.from(bin)))
    }))

  it.effect("RESTORE FREQ and OBJECT FREQ under an LFU policy", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const masters = yield* fixture.masters
      const setPolicy = (policy: string) =>
        Effect.forEach(masters, (m) => fixture.command(m.port, "CONFIG", "SET", "maxmemory-policy", policy), { discard: true })
      // The default policy tracks LRU idle time, not frequency.
      expect((yield* failure(redis.objectFreq("dr:h"))).message).toContain("LFU")
      yield* Effect.ensuring(
        Effect.gen(function*() {
          yield* setPolicy("allkeys-lfu")
          yield* redis.set("lfu:src", "v")
          const payload = Option.getOrThrow(yield* redis.dump("lfu:src"))
          yield* redis.restore("lfu:k", 0, payload, { freq: 100 })
          // The counter decays once per minute: allow one period to pass between the two commands.
          const freq = Option.getOrThrow(yield* redis.objectFreq("lfu:k"))
          expect(freq).toBeGreaterThanOrEqual(99)
          expect(freq).toBeLessThanOrEqual(100)
          expect(yield* redis.objectFreq("lfu:missing")).toEqual(Option.none())
          expect((yield* failure(redis.objectIdletime("lfu:k"))).message).toContain("LFU")
        }),
        Effect.orDie(setPolicy("noeviction"))
      )
    }))

  it.effect("OBJECT ENCODING, IDLETIME, REFCOUNT, HELP", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("ob:int", 12345)
      yield* redis.set("ob:str", "short")
      yield* redis.set("ob:raw", "x".repeat(100))
      yield* redis.hset("ob:hash", { f: "v" })
      expect(yield* redis.objectEncoding("ob:int")).toEqual(Option.some("int"))
      expect(yield* redis.objectEncoding("ob:str")).toEqual(Option.some("embstr"))
      expect(yield* redis.objectEncoding("ob:raw")).toEqual(Option.some("raw"))
      expect(yield* redis.objectEncoding("ob:hash")).toEqual(Option.some("listpack"))
      expect(yield* redis.objectEncoding("ob:missing")).toEqual(Option.none())
      const idle = Option.getOrThrow(yield* redis.objectIdletime("ob:str"))
      expect(idle).toBeGreaterThanOrEqual(0)
      expect(idle).toBeLessThan(10)
      expect(yield* redis.objectIdletime("ob:missing")).toEqual(Option.none())
      expect(yield* redis.objectRefcount("ob:raw")).toEqual(Option.some(1))
      expect(yield* redis.objectRefcount("ob:missing")).toEqual(Option.none())
      const help = yield* redis.objectHelp()
      expect(help[0]).toContain("OBJECT <subcommand>")
      expect(help.some((line) => line.startsWith("ENCODING"))).toBe(true)
    }))

  it.effect("EXPIREAT, PEXPIRE, PEXPIREAT (NX/XX/GT/LT), EXPIRETIME, PEXPIRETIME, PTTL, PERSIST", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("ex:k", "v")
      expect(yield* redis.expiretime("ex:k")).toBe(-1)
      expect(yield* redis.pexpiretime("ex:k")).toBe(-1)
      expect(yield* redis.pttl("ex:k")).toBe(-1)
      expect(yield* redis.expiretime("ex:missing")).toBe(-2)
      expect(yield* redis.pexpiretime("ex:missing")).toBe(-2)
      expect(yield* redis.pttl("ex:missing")).toBe(-2)

      const at = Math.floor(Date.now() / 1000) + 1000
      expect(yield* redis.expireat("ex:k", at, { xx: true })).toBe(false)
      expect(yield* redis.expireat("ex:k", at, { nx: true })).toBe(true)
      expect(yield* redis.expireat("ex:k", at + 10, { nx: true })).toBe(false)
      expect(yield* redis.expiretime("ex:k")).toBe(at)
      expect(yield* redis.expireat("ex:k", at - 10, { gt: true })).toBe(false)
      expect(yield* redis.expireat("ex:k", at + 10, { gt: true })).toBe(true)
      expect(yield* redis.expiretime("ex:k")).toBe(at + 10)
      expect(yield* redis.expireat("ex:missing", at)).toBe(false)

      expect(yield* redis.pexpire("ex:k", 500_000, { lt: true })).toBe(true)
      const pttl = yield* redis.pttl("ex:k")
      expect(pttl).toBeGreaterThan(400_000)
      expect(pttl).toBeLessThanOrEqual(500_000)
      expect(yield* redis.pexpire("ex:k", 900_000, { lt: true })).toBe(false)
      expect(yield* redis.pexpire("ex:k", 900_000, { xx: true })).toBe(true)
      expect(yield* redis.pexpire("ex:missing", 1000)).toBe(false)

      const atMs = Date.now() + 2_000_000
      expect(yield* redis.pexpireat("ex:k", atMs)).toBe(true)
      expect(yield* redis.pexpiretime("ex:k")).toBe(atMs)
      expect(yield* redis.expiretime("ex:k")).toBe(Math.round(atMs / 1000))
      expect(yield* redis.pexpireat("ex:k", atMs - 1, { gt: true })).toBe(false)

      expect(yield* redis.persist("ex:k")).toBe(true)
      expect(yield* redis.persist("ex:k")).toBe(false)
      expect(yield* redis.pttl("ex:k")).toBe(-1)
      expect(yield* redis.persist("ex:missing")).toBe(false)
    }))

  it.effect("KEYS fans out to every master and concatenates; RANDOMKEY; MOVE is unsupported", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const keys = Arr.range(0, 29).map((i) => `kk:${i}`)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "1"])))
      const found = yield* redis.keys("kk:*")
      expect([...found].sort()).toEqual([...keys].sort())
      expect(yield* redis.keys("kk:nothing*")).toEqual([])
      // Each master answered with its own keys; together they are every key exactly once.
      const perNode = yield* redis.perNode(Command.keys("kk:*"))
      expect(perNode).toHaveLength(3)
      for (const reply of perNode) expect((reply.value as ReadonlyArray<string>).length).toBeGreaterThan(0)
      expect(perNode.reduce((n, r) => n + (r.value as ReadonlyArray<string>).length, 0)).toBe(30)

      // Every master holds keys now, so whichever answers gives one that exists.
      for (let i = 0; i < 5; i++) {
        const random = yield* redis.randomkey()
        expect(Option.isSome(random)).toBe(true)
        expect(yield* redis.exists(Option.getOrThrow(random))).toBe(1)
      }

      const move = yield* failure(redis.move("kk:0", 1))
      expect(move.tag).toBe("UnsupportedCommandError")
      expect(move.message).toContain("database 0")
    }))

  it.effect("TOUCH and UNLINK split per slot and add up; TYPE", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const keys = Arr.range(0, 19).map((i) => `tu:${i}`)
      expect(new Set(keys.map(Slot.slot)).size).toBeGreaterThan(10)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "1"])))
      expect(yield* redis.touch(...keys, "tu:missing", keys[0]!)).toBe(21)
      expect(yield* redis.touch("tu:missing")).toBe(0)
      expect(yield* redis.unlink(...keys.slice(0, 12), "tu:missing")).toBe(12)
      expect(yield* redis.exists(...keys)).toBe(8)

      yield* redis.hset("ty:h", { a: "1" })
      yield* redis.execute(rpush("ty:l", "a"))
      yield* redis.execute(Command.raw(["SADD", "ty:s", "a"], { keys: ["ty:s"] }))
      yield* redis.execute(Command.raw(["ZADD", "ty:z", 1, "a"], { keys: ["ty:z"] }))
      yield* redis.execute(Command.raw(["XADD", "ty:x", "*", "f", "v"], { keys: ["ty:x"] }))
      const types = yield* Effect.forEach(["tu:15", "ty:h", "ty:l", "ty:s", "ty:z", "ty:x", "ty:none"], (k) => redis.type(k))
      expect(types).toEqual(["string", "hash", "list", "set", "zset", "stream", "none"])
    }))

  it.effect("SORT, SORT_RO (BY, LIMIT, GET, DESC, ALPHA) and SORT ... STORE", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.execute(rpush("{so}nums", "3", "1", "10", "2"))
      const some = (...xs: ReadonlyArray<string>) => xs.map(Option.some)
      expect(yield* redis.sort("{so}nums")).toEqual(some("1", "2", "3", "10"))
      expect(yield* redis.sort("{so}nums", { order: "DESC" })).toEqual(some("10", "3", "2", "1"))
      expect(yield* redis.sort("{so}nums", { alpha: true })).toEqual(some("1", "10", "2", "3"))
      expect(yield* redis.sort("{so}nums", { limit: { offset: 1, count: 2 } })).toEqual(some("2", "3"))
      expect(yield* redis.sortRo("{so}nums", { order: "DESC", limit: { offset: 0, count: 1 } })).toEqual(some("10"))
      expect(yield* redis.sort("{so}missing")).toEqual([])
      expect(yield* redis.sort("{so}nums", { by: "nosort" })).toEqual(some("3", "1", "10", "2"))

      // BY/GET patterns: Redis 7.0 Cluster refuses them outright; from 7.4 a pattern carrying the
      // key's hash tag stays in its slot and is served. Either way the client sends it as it is.
      yield* redis.mset({ "{so}w_1": "40", "{so}w_2": "30", "{so}w_3": "20", "{so}w_10": "10" })
      yield* redis.mset({ "{so}name_1": "one", "{so}name_2": "two", "{so}name_3": "three" })
      const byTagged = yield* Effect.result(redis.sort("{so}nums", { by: "{so}w_*" }))
      if (Result.isFailure(byTagged)) expect(byTagged.failure.message).toContain("BY option of SORT denied in Cluster mode")
      else expect(byTagged.success).toEqual(some("10", "3", "2", "1"))
      const getTagged = yield* Effect.result(redis.sortRo("{so}nums", { get: ["#", "{so}name_*"] }))
      if (Result.isFailure(getTagged)) expect(getTagged.failure.message).toContain("GET option of SORT denied in Cluster mode")
      else {
        expect(getTagged.success).toEqual([
          Option.some("1"), Option.some("one"), Option.some("2"), Option.some("two"),
          Option.some("3"), Option.some("three"), Option.some("10"), Option.none()
        ])
      }
      // A pattern that may name keys in other slots is refused by every version.
      const cross = yield* failure(redis.sort("{so}nums", { by: "w_*" }))
      expect(cross.tag).toBe("ReplyError")
      expect(cross.message).toContain("Cluster mode")
      // BY without `*` means "do not sort": allowed in a cluster.
      expect(yield* redis.sort("{so}nums", { by: "constant", limit: { offset: 0, count: 2 } })).toEqual(some("3", "1"))

      expect(yield* redis.sortStore("{so}nums", "{so}sorted", { order: "DESC", alpha: true })).toBe(4)
      expect(yield* redis.execute(lrange("{so}sorted"))).toEqual(["3", "2", "10", "1"])
      expect((yield* failure(redis.sortStore("{so}nums", "so:elsewhere"))).tag).toBe("CrossSlotError")
    }))

  it.effect("RESP2 decodes to the same values", () =>
    Effect.gen(function*() {
      const run = (c: RedisCluster.RedisClusterService, p: string) =>
        Effect.gen(function*() {
          const k = (s: string) => `{k2${p}}${s}`
          yield* c.hset(k("h"), { a: "1" })
          yield* c.execute(rpush(k("l"), "b", "a", "c"))
          yield* c.restore(k("r"), 0, Option.getOrThrow(yield* c.dump(k("h"))))
          yield* c.set(`kr2${p}:x`, "1")
          return [
            yield* c.hgetall(k("r")),
            yield* c.copy(k("h"), k("h2")),
            yield* c.renamenx(k("h2"), k("h3")),
            yield* c.type(k("h3")),
            yield* c.objectEncoding(k("h3")),
            yield* c.objectRefcount(k("h3")),
            yield* c.objectEncoding(k("none")),
            yield* c.expiretime(k("h3")),
            yield* c.pexpire(k("h3"), 100_000),
            yield* c.persist(k("h3")),
            yield* c.touch(k("h"), k("l"), k("none")),
            yield* c.sort(k("l"), { alpha: true }),
            yield* c.sortRo(k("l"), { alpha: true, order: "DESC", limit: { offset: 1, count: 5 } }),
            yield* c.sortStore(k("l"), k("dst"), { alpha: true }),
            yield* c.keys(`kr2${p}:*`),
            (yield* c.objectHelp()).length,
            yield* c.unlink(k("h"), k("h3"), k("dst"))
          ] as const
        })
      const { three, two } = yield* onBoth(run)
      expect(two.slice(0, -3)).toEqual(three.slice(0, -3))
      expect(two.slice(-2)).toEqual(three.slice(-2))
      expect(three[14]).toEqual(["kr23:x"])
      expect(two[14]).toEqual(["kr22:x"])
      expect(three[11]).toEqual([Option.some("a"), Option.some("b"), Option.some("c")])
    }))
})
