import { describe, expect, it } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Context, Effect, Layer, Stream } from "effect"
import { commandCalls } from "./helpers/cluster.js"

const withClient = <A, E>(use: (redis: RedisCluster.RedisClusterService, fixture: RedisClusterFixture.ClusterFixture) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fixture = yield* RedisClusterFixture.RedisClusterFixture
    const context = yield* Layer.build(NodeRedisCluster.layer({ startupNodes: fixture.startupNodes, commandTimeout: "8 seconds" }))
    return yield* use(Context.get(context, RedisCluster.RedisCluster), fixture)
  }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 })))

describe("scan streams", () => {
  it.live("scan returns every one of 10k keys spread over every master; MATCH and TYPE filter", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const keys = Arr.range(0, 9_999).map((i) => `s:${i}`)
        yield* redis.pipeline(keys.map((k) => Command.set(k, "1")))
        yield* redis.pipeline(Arr.range(0, 99).map((i) => Command.hset(`h:${i}`, { f: "v" })))
        const seen = yield* Stream.runCollect(redis.scan({ match: "s:*", count: 500 }))
        const unique = new Set(seen)
        expect(unique.size).toBe(10_000)
        for (const k of keys) expect(unique.has(k)).toBe(true)
        const hashes = yield* Stream.runCollect(redis.scan({ type: "hash" }))
        expect(new Set(hashes).size).toBe(100)
        // A stream is lazy and can stop early.
        expect((yield* Stream.runCollect(Stream.take(redis.scan(), 7))).length).toBe(7)
      })), 60_000)

  it.live("scan continues on the promoted replica when a master dies mid-scan", () =>
    withClient((redis, fixture) =>
      Effect.gen(function*() {
        const keys = Arr.range(0, 5_999).map((i) => `f:${i}`)
        yield* redis.pipeline(keys.map((k) => Command.set(k, "1")))
        // WAIT on the client's own connection to each master: the one that carried the writes.
        for (const m of yield* fixture.masters) {
          expect(yield* redis.executeOn({ host: m.host, port: m.port }, Command.wait(1, 5000))).toBe(1)
        }
        const victim = (yield* fixture.masters)[1]!
        const ownedByVictim = (k: string) => victim.slots.some(([a, b]) => Slot.slot(k) >= a && Slot.slot(k) <= b)
        let pulled = 0
        const seen = yield* redis.scan({ count: 100 }).pipe(
          Stream.tap((k) =>
            // Kill the master in the middle of its own walk: the walk must go on on its replica.
            ownedByVictim(k) && ++pulled === 300 ? fixture.killNode(victim.port).pipe(Effect.orDie) : Effect.void
          ),
          Stream.runCollect
        )
        expect(pulled).toBeGreaterThan(300)
        const unique = new Set(seen)
        for (const k of keys) expect(unique.has(k)).toBe(true)
      })), 60_000)

  it.live("hscan, sscan and zscan walk one key's collection", () =>
    withClient((redis) =>
      Effect.gen(function*() {
        const fields = Object.fromEntries(Arr.range(0, 999).map((i) => [`f${i}`, `v${i}`]))
        yield* redis.hset("big:hash", fields)
        const entries = yield* Stream.runCollect(redis.hscan("big:hash", { count: 100 }))
        expect(Object.fromEntries(entries)).toEqual(fields)
        yield* redis.execute(Command.raw(["SADD", "big:set", ...Arr.range(0, 499).map(String)], { keys: ["big:set"] }))
        expect(new Set(yield* Stream.runCollect(redis.sscan("big:set"))).size).toBe(500)
        yield* redis.execute(Command.raw(["ZADD", "big:z", "1.5", "a", "2", "b", "inf", "c"], { keys: ["big:z"] }))
        const members = yield* Stream.runCollect(redis.zscan("big:z"))
        expect([...members].sort((x, y) => x.score - y.score)).toEqual([
          { member: "a", score: 1.5 },
          { member: "b", score: 2 },
          { member: "c", score: Infinity }
        ])
      })), 60_000)
})

describe("key walks with replica reads", () => {
  // A cursor means something only on the node that gave it (each server seeds its own hash, so a
  // master and its replica keep the same fields in different buckets): a walk whose pages go to
  // the master and the replica in turn skips fields. Each walk must stay on one node.
  it.live("hscan, sscan and zscan return every element when reads go to masters and replicas in turn", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const context = yield* Layer.build(
        NodeRedisCluster.layer({ startupNodes: fixture.startupNodes, commandTimeout: "8 seconds", readFrom: "any" })
      )
      const redis = Context.get(context, RedisCluster.RedisCluster)
      const n = 3_000
      const fields = Object.fromEntries(Arr.range(0, n - 1).map((i) => [`f${i}`, `v${i}`]))
      yield* redis.hset("pin:hash", fields)
      yield* redis.execute(Command.raw(["SADD", "pin:set", ...Arr.range(0, n - 1).map((i) => `m${i}`)], { keys: ["pin:set"] }))
      yield* redis.execute(Command.raw(["ZADD", "pin:z", ...Arr.range(0, n - 1).flatMap((i) => [String(i), `z${i}`])], { keys: ["pin:z"] }))
      // The replicas hold everything before the walks read from them.
      for (const m of yield* fixture.masters) {
        expect(yield* redis.executeOn({ host: m.host, port: m.port }, Command.wait(1, 5000))).toBe(1)
      }
      // COUNT 10: hundreds of pages per walk, alternating between master and replica without pinning.
      const entries = yield* Stream.runCollect(redis.hscan("pin:hash", { count: 10 }))
      expect(new Set(entries.map(([f]) => f)).size).toBe(n)
      expect(Object.fromEntries(entries)).toEqual(fields)
      // Every page of the walk went to one node of the shard (whichever readFrom chose).
      const owner = yield* fixture.masterOf(Slot.slot("pin:hash"))
      const calls: Array<number> = []
      for (const port of [owner.port, ...(yield* fixture.replicasOf(owner.port)).map((r) => r.port)]) {
        calls.push(yield* commandCalls(fixture, port, "hscan"))
      }
      expect(calls.filter((c) => c > 0)).toHaveLength(1)
      expect(calls.reduce((a, b) => a + b, 0)).toBeGreaterThan(100)
      const members = yield* Stream.runCollect(redis.sscan("pin:set", { count: 10 }))
      expect(new Set(members).size).toBe(n)
      const scored = yield* Stream.runCollect(redis.zscan("pin:z", { count: 10 }))
      expect(new Set(scored.map((s) => s.member)).size).toBe(n)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)
})
