import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Layer, Option, Result } from "effect"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 })

const Client = Layer.unwrap(
  Effect.map(Effect.service(RedisClusterFixture.RedisClusterFixture), (f) =>
    NodeRedisCluster.layer({ startupNodes: [f.startupNodes[0]!], commandTimeout: "5 seconds" }))
)

const Env = Client.pipe(Layer.provideMerge(Fixture))

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("RedisCluster on a 3+3 cluster", (it) => {
  it.effect("discovers every master and replica from one startup node", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const snapshot = redis.topology.current()
      expect(snapshot.shards.filter((s) => s.ranges.length > 0)).toHaveLength(3)
      expect(snapshot.nodes.size).toBe(6)
      expect(snapshot.uncovered).toBe(0)
      for (const shard of snapshot.shards) expect(shard.replicas).toHaveLength(1)
    }))

  it.effect("single-key commands reach the slot owner", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const keys = Arr.range(0, 199).map((i) => `basic:${i}`)
      yield* Effect.forEach(keys, (k) => redis.set(k, `v-${k}`), { concurrency: 50 })
      const values = yield* Effect.forEach(keys, (k) => redis.get(k), { concurrency: 50 })
      expect(values).toEqual(keys.map((k) => Option.some(`v-${k}`)))
      expect(yield* redis.get("basic:missing")).toEqual(Option.none())
      expect(yield* redis.incr("basic:counter")).toBe(1)
      expect(yield* redis.incrby("basic:counter", 41)).toBe(42)
      expect(yield* redis.expire("basic:counter", 100)).toBe(true)
      const ttl = yield* redis.ttl("basic:counter")
      expect(ttl).toBeGreaterThan(90)
      expect(yield* redis.hset("basic:h", { a: "1", b: "2" })).toBe(2)
      expect(yield* redis.hget("basic:h", "a")).toEqual(Option.some("1"))
      expect(yield* redis.hgetall("basic:h")).toEqual({ a: "1", b: "2" })
    }))

  it.effect("SET options: NX, XX, GET", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.set("opt:k", "1", { nx: true })).toEqual(Option.some("OK"))
      expect(yield* redis.set("opt:k", "2", { nx: true })).toEqual(Option.none())
      expect(yield* redis.set("opt:k", "3", { get: true })).toEqual(Option.some("1"))
      expect(yield* redis.set("opt:new", "x", { xx: true })).toEqual(Option.none())
      expect(yield* redis.set("opt:px", "x", { px: 50_000 })).toEqual(Option.some("OK"))
    }))

  it.effect("mget/mset/del/exists split per slot and answer in key order", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const keys = Arr.range(0, 99).map((i) => `multi:${i}`)
      const slots = new Set(keys.map(Slot.slot))
      expect(slots.size).toBeGreaterThan(50)
      yield* redis.mset(Object.fromEntries(keys.map((k, i) => [k, String(i)])))
      const values = yield* redis.mget([...keys, "multi:none"])
      expect(values).toEqual([...keys.map((_, i) => Option.some(String(i))), Option.none()])
      expect(yield* redis.exists(...keys, keys[0]!)).toBe(101)
      expect(yield* redis.del(...keys.slice(0, 60))).toBe(60)
      expect(yield* redis.exists(...keys)).toBe(40)
    }))

  it.effect("a multi-key command that cannot be split fails with CrossSlotError before sending", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const command = Command.raw(["RENAME", "x:a", "x:b"], { keys: ["x:a", "x:b"] })
      const result = yield* Effect.result(redis.execute(command))
      expect(Result.isFailure(result) && result.failure._tag).toBe("CrossSlotError")
      // Hash tags keep keys together: the same command on {tag} keys runs.
      yield* redis.set("{t}a", "1")
      yield* redis.execute(Command.raw(["RENAME", "{t}a", "{t}b"], { keys: ["{t}a", "{t}b"] }))
      expect(yield* redis.get("{t}b")).toEqual(Option.some("1"))
    }))

  it.effect("keyless commands and cluster introspection", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.ping()).toBe("PONG")
      expect(yield* redis.echo("hi")).toBe("hi")
      const info = yield* redis.clusterInfo()
      expect(info["cluster_state"]).toBe("ok")
      expect(info["cluster_known_nodes"]).toBe("6")
      for (const key of ["a", "foo{bar}", "{user1000}.following", "123456789"]) {
        expect(yield* redis.clusterKeyslot(key)).toBe(Slot.slot(key))
      }
      expect((yield* redis.clusterNodes()).trim().split("\n")).toHaveLength(6)
    }))

  it.effect("any command's reply can be asked for as bytes", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const binary = new Uint8Array([0, 255, 1, 254, 13, 10])
      yield* redis.set("bin:k", binary)
      const value = yield* redis.execute(Command.get("bin:k").asBytes())
      expect(value).toBeInstanceOf(Uint8Array)
      expect(Array.from(value as Uint8Array)).toEqual(Array.from(binary))
      yield* redis.hset("bin:h", { f: binary })
      const all = yield* redis.execute(Command.hgetall("bin:h").asBytes())
      const entries = all instanceof Map ? Array.from(all.values()) : (all as ReadonlyArray<unknown>).slice(1)
      expect(Array.from(entries[0] as Uint8Array)).toEqual(Array.from(binary))
    }))

  it.effect("reply errors are typed and name the command", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("err:str", "x")
      const result = yield* Effect.result(redis.incr("err:str"))
      expect(Result.isFailure(result)).toBe(true)
      if (Result.isFailure(result)) {
        expect(result.failure._tag).toBe("ReplyError")
        expect(result.failure.message).toContain("INCR")
      }
    }))

  it.effect("follows MOVED after a slot migrates, and the map is refreshed", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const key = "moved:key"
      const slot = Slot.slot(key)
      yield* redis.set(key, "before")
      const owner = yield* fixture.masterOf(slot)
      const masters = yield* fixture.masters
      const target = masters.find((m) => m.port !== owner.port)!
      yield* fixture.migrateSlot(slot, target.port)
      expect(yield* redis.get(key)).toEqual(Option.some("before"))
      yield* redis.set(key, "after")
      expect(yield* redis.get(key)).toEqual(Option.some("after"))
      // The refresh requested by MOVED lands shortly; the map then names the new owner.
      yield* redis.topology.refresh()
      expect(redis.topology.current().slots[slot]!.master.port).toBe(target.port)
    }))
})
