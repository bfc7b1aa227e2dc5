/**
 * Resharding on a real cluster under load: a slot moved step by step (ASK, TRYAGAIN, then MOVED),
 * a whole slot migrated, a master added and given slots, an emptied master removed. Each test has
 * its own cluster; every wait is on a condition.
 */
import { describe, expect, it } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Fiber, Option, Stream } from "effect"
import * as Cluster from "./helpers/cluster.js"
import * as Load from "./helpers/load.js"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 })

const config = (fixture: RedisClusterFixture.ClusterFixture): RedisCluster.RedisClusterConfig => ({
  startupNodes: fixture.startupNodes,
  commandTimeout: "10 seconds",
  metrics: true
})

/** INCR results per key: exact when the returned values are 1..n and the final value is n. */
class Counters {
  readonly returned = new Map<string, Array<number>>()
  record(key: string, value: number) {
    const list = this.returned.get(key)
    if (list === undefined) this.returned.set(key, [value])
    else list.push(value)
  }
  check(redis: RedisCluster.RedisClusterService) {
    const returned = this.returned
    return Effect.gen(function*() {
      for (const [key, values] of returned) {
        const sorted = [...values].sort((a, b) => a - b)
        expect(sorted, `INCR ${key} returned each value once`).toEqual(Arr.range(1, values.length))
        expect(yield* redis.get(key), `final value of ${key}`).toEqual(Option.some(String(values.length)))
      }
    })
  }
}

/** The owner of `slot` (per the fixture) and another master to move it to. */
const ownerAndOther = (fixture: RedisClusterFixture.ClusterFixture, slot: number) =>
  Effect.gen(function*() {
    const owner = yield* fixture.masterOf(slot)
    const other = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    return { owner, other }
  })

/** Refreshes until the client's map says `check` (a refresh in flight may predate the change). */
const refreshUntil = (redis: RedisCluster.RedisClusterService, label: string, check: (s: ReturnType<RedisCluster.RedisClusterService["topology"]["current"]>) => boolean | string) =>
  Cluster.waitUntil(label, Effect.map(redis.topology.refresh(), check), 5_000)

describe("RedisCluster during resharding", () => {
  it.live("slot moved step by step under 8 workers: ASK, TRYAGAIN, MOVED; nothing fails, counters exact, reads see writes", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client(config(fixture))
      const slot = Slot.slot("{mig}")
      const { owner: source, other: target } = yield* ownerAndOther(fixture, slot)
      const elsewhere = Cluster.keysOutside("other:", 20, [slot])

      // Keys in the migrating slot (counters, per-worker keys, an MGET pair, filler to move in
      // several batches) and keys elsewhere.
      const migCounters = Arr.range(0, 3).map((i) => `{mig}c${i}`)
      const otherCounters = elsewhere.slice(0, 4)
      const filler = Arr.range(0, 299).map((i) => `{mig}f${i}`)
      yield* redis.mset(Object.fromEntries([["{mig}a", "A"], ["{mig}b", "B"], ...filler.map((k) => [k, `v-${k}`])]))
      for (const k of migCounters) yield* redis.del(k)

      const counters = new Counters()
      const mismatches: Array<string> = []
      const counts = { mget: 0, get: 0, set: 0, incr: 0 }
      // Workers 0-1 run the same-slot MGET (one command, TRYAGAIN while its keys are split between
      // the nodes, so they stall then); workers 2-7 run INCR, SET+GET and GET.
      const workload = yield* Load.start(8, (w, seq) => {
        if (w < 2) {
          return Effect.map(redis.mget(["{mig}a", "{mig}b"]), (values) => {
            counts.mget++
            if (!(Option.contains(values[0]!, "A") && Option.contains(values[1]!, "B"))) {
              mismatches.push(`MGET {mig}a {mig}b: ${JSON.stringify(values)}`)
            }
          })
        }
        const inSlot = seq % 2 === 0
        switch (seq % 4) {
          case 0:
          case 1: {
            const key = inSlot ? migCounters[(w + seq) % 4]! : otherCounters[(w + seq) % 4]!
            return Effect.map(redis.incr(key), (n) => {
              counts.incr++
              counters.record(key, n)
            })
          }
          case 2: {
            // Read-your-writes on a key only this worker writes (alternately in the slot and elsewhere).
            const own = Math.floor(seq / 4) % 2 === 0 ? `{mig}w${w}` : elsewhere[4 + w]!
            const value = `${w}:${seq}`
            return Effect.gen(function*() {
              yield* redis.set(own, value)
              counts.set++
              const seen = yield* redis.get(own)
              counts.get++
              if (!Option.contains(seen, value)) mismatches.push(`GET ${own}: ${JSON.stringify(seen)} after SET ${value}`)
            })
          }
          default: {
            const key = filler[(w * 37 + seq) % filler.length]!
            return Effect.map(redis.get(key), (seen) => {
              counts.get++
              if (!Option.contains(seen, `v-${key}`)) mismatches.push(`GET ${key}: ${JSON.stringify(seen)}`)
            })
          }
        }
      })
      yield* Load.waitForSuccesses(workload, 300)

      const stats = Effect.all({
        askReplies: Cluster.errorCount(fixture, source.port, "ASK"),
        tryAgainReplies: Effect.zipWith(
          Cluster.errorCount(fixture, source.port, "TRYAGAIN"),
          Cluster.errorCount(fixture, target.port, "TRYAGAIN"),
          (a, b) => a + b
        ),
        asking: Cluster.commandCalls(fixture, target.port, "asking"),
        askFollowed: Cluster.redirectsSeen("ask"),
        movedFollowed: Cluster.redirectsSeen("moved")
      })
      const before = yield* stats

      // 1. Half-open: every key still on the source.
      yield* fixture.beginMigration(slot, target.port)
      yield* Load.waitForSuccesses(workload, 200)
      // 2. Some keys moved: ASK for those, TRYAGAIN for the MGET whose keys are split.
      yield* fixture.migrateKeys(slot, ["{mig}a", migCounters[0]!, migCounters[1]!, "{mig}w2", "{mig}w3", "{mig}w4", ...filler.slice(0, 150)])
      yield* Cluster.waitUntil("ASK and TRYAGAIN replies while the slot is split", Effect.map(stats, (s) =>
        (s.askReplies > before.askReplies && s.tryAgainReplies > before.tryAgainReplies) ||
        `ASK ${s.askReplies - before.askReplies}, TRYAGAIN ${s.tryAgainReplies - before.tryAgainReplies}`))
      yield* Load.waitForSuccesses(workload, 300)
      // ASK is one-shot: it leaves the slot map alone.
      expect(redis.topology.current().slots[slot]!.master.port).toBe(source.port)
      // 3. The rest moved and the slot reassigned: MOVED from now on.
      yield* fixture.finishMigration(slot)
      yield* Load.waitForSuccesses(workload, 300)
      const outcomes = yield* workload.stop
      const after = yield* stats

      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      expect(mismatches).toEqual([])
      expect(counts.mget).toBeGreaterThan(50)
      expect(counts.set).toBeGreaterThan(50)
      yield* counters.check(redis)
      // The client really went through the migration's redirects: the source answered ASK, the
      // target received ASKING, keyslot counted ASK redirects, and MGET met TRYAGAIN.
      expect(after.askReplies - before.askReplies).toBeGreaterThan(0)
      expect(after.asking - before.asking).toBeGreaterThan(0)
      expect(after.askFollowed - before.askFollowed).toBeGreaterThan(0)
      expect(after.tryAgainReplies - before.tryAgainReplies).toBeGreaterThan(0)
      expect(after.movedFollowed - before.movedFollowed).toBeGreaterThan(0)
      // Every key of the slot is on the target now, values intact.
      expect(yield* fixture.command(source.port, "CLUSTER", "COUNTKEYSINSLOT", slot)).toBe(0)
      expect(yield* redis.mget(filler)).toEqual(filler.map((k) => Option.some(`v-${k}`)))
      yield* refreshUntil(redis, "the slot's new owner in the map", (s) => s.slots[slot]?.master.port === target.port)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("a whole slot migrated under 4 writers: nothing fails; the map then names the new owner", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client(config(fixture))
      const slot = Slot.slot("{mv}")
      const { owner, other: target } = yield* ownerAndOther(fixture, slot)
      yield* redis.mset(Object.fromEntries(Arr.range(0, 499).map((i) => [`{mv}seed${i}`, String(i)])))
      const counters = new Counters()
      const written = new Map<string, string>()
      const workload = yield* Load.start(4, (w, seq) => {
        if (seq % 2 === 0) {
          const key = `{mv}c${w}`
          return Effect.map(redis.incr(key), (n) => counters.record(key, n))
        }
        const key = `{mv}k${w}:${seq}`
        return Effect.map(redis.set(key, `${w}:${seq}`), () => written.set(key, `${w}:${seq}`))
      })
      yield* Load.waitForSuccesses(workload, 200)
      const movedBefore = yield* Cluster.redirectsSeen("moved")
      yield* fixture.migrateSlot(slot, target.port)
      yield* Load.waitForSuccesses(workload, 300)
      const outcomes = yield* workload.stop

      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      expect((yield* Cluster.redirectsSeen("moved")) - movedBefore).toBeGreaterThan(0)
      yield* counters.check(redis)
      const keys = Array.from(written.keys())
      expect(yield* redis.mget(keys)).toEqual(keys.map((k) => Option.some(written.get(k)!)))
      expect(yield* fixture.command(owner.port, "CLUSTER", "COUNTKEYSINSLOT", slot)).toBe(0)
      yield* redis.topology.refresh()
      yield* refreshUntil(redis, "the new owner in the map", (s) => s.slots[slot]?.master.port === target.port || `owner ${s.slots[slot]?.master.address}`)
      expect(redis.topology.current().slots[slot]!.master.port).toBe(target.port)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("a master added and given slots: discovered, and it serves them", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client(config(fixture))
      const tags = ["{am1}", "{am2}", "{am3}", "{am4}"]
      const slots = tags.map(Slot.slot)
      const tagged = tags.flatMap((t) => Arr.range(0, 9).map((i) => `${t}k${i}`))
      const spread = Cluster.keysOutside("spread:", 40, slots)
      const keys = [...tagged, ...spread]
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "0"])))
      const workload = yield* Load.start(4, (w, seq) => {
        const key = keys[(w * 17 + seq) % keys.length]!
        return seq % 2 === 0 ? redis.set(key, `${w}:${seq}`) : redis.get(key)
      })
      yield* Load.waitForSuccesses(workload, 200)

      const added = yield* fixture.addMaster
      // The first slot moves step by step: ASK to a node the client does not know yet.
      expect(redis.topology.current().nodes.has(`127.0.0.1:${added}`)).toBe(false)
      const asksBefore = yield* Cluster.redirectsSeen("ask")
      yield* fixture.beginMigration(slots[0]!, added)
      yield* fixture.migrateKeys(slots[0]!, tagged.slice(0, 5))
      // A migrated key, read now: the old owner answers ASK, the unknown new one serves it.
      expect(Option.isSome(yield* redis.get(tagged[0]!))).toBe(true)
      yield* Load.waitForSuccesses(workload, 200)
      yield* fixture.finishMigration(slots[0]!)
      expect((yield* Cluster.redirectsSeen("ask")) - asksBefore).toBeGreaterThan(0)
      expect(yield* Cluster.commandCalls(fixture, added, "asking")).toBeGreaterThan(0)
      // The others in one go each.
      for (const s of slots.slice(1)) yield* fixture.migrateSlot(s, added)
      yield* Load.waitForSuccesses(workload, 300)
      const outcomes = yield* workload.stop
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)

      yield* refreshUntil(redis, "4 masters with slots, the new one owning the moved slots", (s) => {
        const serving = s.shards.filter((sh) => sh.ranges.length > 0)
        return (serving.length === 4 && slots.every((slot) => s.slots[slot]?.master.port === added)) ||
          `${serving.map((sh) => sh.master.address).join(", ")}`
      })
      const snapshot = redis.topology.current()
      const node = snapshot.nodes.get(`127.0.0.1:${added}`)
      expect(node?.role).toBe("master")
      const shard = snapshot.shards.find((sh) => sh.master.port === added)!
      expect(shard.ranges.map(([a, b]) => [a, b])).toEqual([...slots].sort((a, b) => a - b).map((s) => [s, s]))

      // Commands on those slots are served by the new master, and only those.
      const getsBefore = yield* Cluster.commandCalls(fixture, added, "get")
      yield* Effect.forEach(tagged, (k) => redis.get(k), { discard: true, concurrency: 8 })
      yield* Effect.forEach(spread, (k) => redis.get(k), { discard: true, concurrency: 8 })
      expect((yield* Cluster.commandCalls(fixture, added, "get")) - getsBefore).toBe(tagged.length)
      for (const s of slots) {
        expect(yield* redis.executeOn({ host: "127.0.0.1", port: added }, Command.raw(["CLUSTER", "COUNTKEYSINSLOT", s]))).toBe(10)
      }
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("an emptied master removed: the map drops it, nothing fails", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client(config(fixture))
      const slot = Slot.slot("{rm}")
      const { owner } = yield* ownerAndOther(fixture, slot)
      const keys = [...Arr.range(0, 19).map((i) => `{rm}k${i}`), ...Cluster.keysOutside("rm:", 40, [slot])]
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "0"])))
      const workload = yield* Load.start(4, (w, seq) => {
        const key = keys[(w * 13 + seq) % keys.length]!
        return seq % 2 === 0 ? redis.set(key, `${w}:${seq}`) : redis.get(key)
      })
      yield* Load.waitForSuccesses(workload, 200)

      // A new master serves a slot for a while (so the client routes to it), then gives it back.
      const added = yield* fixture.addMaster
      const address = `127.0.0.1:${added}`
      yield* fixture.migrateSlot(slot, added)
      yield* Load.waitForSuccesses(workload, 200)
      yield* refreshUntil(redis, "the new master serving the slot", (s) => s.slots[slot]?.master.port === added)
      yield* fixture.migrateSlot(slot, owner.port)
      yield* Load.waitForSuccesses(workload, 200)
      yield* refreshUntil(redis, "the slot back on its owner, the empty master still known", (s) =>
        (s.slots[slot]?.master.port === owner.port && s.nodes.has(address)) || `slot on ${s.slots[slot]?.master.address}`)

      yield* fixture.removeNode(added)
      yield* Load.waitForSuccesses(workload, 200)
      const outcomes = yield* workload.stop
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      yield* refreshUntil(redis, "the removed master gone from the map", (s) => !s.nodes.has(address) || "still known")
      const snapshot = redis.topology.current()
      expect(snapshot.nodes.size).toBe(6)
      expect(snapshot.shards.map((s) => s.master.port)).not.toContain(added)
      expect(snapshot.uncovered).toBe(0)
      // And commands still reach every slot.
      expect(yield* redis.mget(keys)).toHaveLength(keys.length)
    }).pipe(Effect.provide(Fixture)), 60_000)
  it.live("a MOVED patch makes a new snapshot: a snapshot handed out before it does not change", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client(config(fixture))
      const key = "{snap}k"
      const slot = Slot.slot(key)
      const { owner, other: target } = yield* ownerAndOther(fixture, slot)
      yield* redis.set(key, "v")
      yield* fixture.migrateSlot(slot, target.port)
      const before = redis.topology.current()
      expect(before.slots[slot]!.master.port).toBe(owner.port)
      expect(yield* redis.get(key)).toEqual(Option.some("v")) // MOVED, patched
      const after = redis.topology.current()
      expect(after.version).toBeGreaterThan(before.version)
      expect(after.slots[slot]!.master.port).toBe(target.port)
      // `before` is version N's map; it must still say what version N said.
      expect(before.slots[slot]!.master.port, `snapshot version ${before.version} changed under its holder`).toBe(owner.port)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("a MOVED patch is published on changes; refreshAfterMoved starts a refresh past the rate limit", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // The rate limit holds every refresh back for the whole test, except the one refreshAfterMoved forces.
      const redis = yield* Cluster.client({ ...config(fixture), minRefreshInterval: "1 hour", topologyRefreshInterval: 0, refreshAfterMoved: 2 })
      const keys = ["{chg1}k", "{chg2}k"]
      const slots = keys.map(Slot.slot)
      const targets: Array<number> = []
      for (const [i, key] of keys.entries()) {
        const { other } = yield* ownerAndOther(fixture, slots[i]!)
        targets.push(other.port)
        yield* redis.set(key, "v")
      }
      const refreshes = redis.topology.refreshCount()
      // Subscribed before the moves: the first map that names the new owner of the first slot.
      const seen = yield* redis.topology.changes.pipe(
        Stream.filter((s) => s.slots[slots[0]!]?.master.port === targets[0]),
        Stream.runHead,
        Effect.forkChild
      )
      yield* Effect.yieldNow
      for (const [i, slot] of slots.entries()) yield* fixture.migrateSlot(slot, targets[i]!)
      expect(yield* redis.get(keys[0]!)).toEqual(Option.some("v")) // MOVED 1: patched, the refresh waits for the rate limit
      const patched = yield* Fiber.join(seen).pipe(Effect.timeout("5 seconds"))
      expect(Option.getOrThrow(patched).version).toBe(redis.topology.current().version)
      expect(redis.topology.refreshCount()).toBe(refreshes)
      expect(yield* redis.get(keys[1]!)).toEqual(Option.some("v")) // MOVED 2: the count is reached, refresh at once
      yield* Cluster.waitUntil("a refresh after the second MOVED", Effect.sync(() => redis.topology.refreshCount() > refreshes), 5_000)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("readFrom replica on a half-moved slot: after an ASK its reads go to the master, so moved keys are not read as nil", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client({ ...config(fixture), readFrom: "replica" })
      const slot = Slot.slot("{half}")
      const { owner: source, other: target } = yield* ownerAndOther(fixture, slot)
      const moved = ["{half}m1", "{half}m2"]
      const stays = "{half}s"
      yield* redis.mset({ [moved[0]!]: "M1", [moved[1]!]: "M2", [stays]: "S" })
      expect(yield* redis.executeOn({ host: source.host, port: source.port }, Command.wait(1, 5000))).toBe(1)
      yield* fixture.beginMigration(slot, target.port)
      yield* fixture.migrateKeys(slot, moved)
      // The source's replica has applied the deletes MIGRATE made: it now answers nil for them.
      const [replica] = yield* fixture.replicasOf(source.port)
      yield* Cluster.waitUntil(
        "the source's replica to lose the moved keys",
        // DBSIZE, as a replica without READONLY redirects key commands: the slot's one key left.
        Effect.map(fixture.command(replica!.port, "DBSIZE"), (n) => n === 1),
        5_000
      )
      // A write to a moved key: the source answers ASK, which marks the slot half-moved.
      yield* redis.set(moved[0]!, "M1b")
      // Reads of the slot now go to the source master, which redirects those of moved keys.
      expect(yield* redis.get(moved[0]!)).toEqual(Option.some("M1b"))
      expect(yield* redis.get(moved[1]!)).toEqual(Option.some("M2"))
      expect(yield* redis.get(stays)).toEqual(Option.some("S"))
      expect(yield* redis.mget(moved)).toEqual([Option.some("M1b"), Option.some("M2")])
      // Other slots are still read from replicas.
      const replicaGets = Effect.flatMap(fixture.replicas, (rs) =>
        Effect.map(Effect.forEach(rs, (r) => Cluster.commandCalls(fixture, r.port, "get")), (ns) => ns.reduce((a, b) => a + b, 0)))
      const before = yield* replicaGets
      yield* redis.get(Cluster.keysOutside("elsewhere:", 1, [slot])[0]!)
      expect(yield* replicaGets).toBe(before + 1)
      yield* fixture.finishMigration(slot)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("a command for every master after a shard's first slot moved: each master answers once, DBSIZE counts every key", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // No refresh during the test: routing runs on the MOVED-patched map.
      const redis = yield* Cluster.client({ ...config(fixture), minRefreshInterval: "1 hour", topologyRefreshInterval: 0 })
      const shard = redis.topology.current().shards.find((s) => s.ranges.length > 0)!
      const first = shard.ranges[0]![0]
      let key = "first:0"
      for (let i = 1; Slot.slot(key) !== first; i++) key = `first:${i}`
      const others = Arr.range(0, 99).map((i) => `all:${i}`)
      yield* redis.mset(Object.fromEntries([[key, "v"], ...others.map((k) => [k, "v"])]))
      const target = (yield* fixture.masters).find((m) => m.port !== shard.master.port)!
      yield* fixture.migrateSlot(first, target.port)
      expect(yield* redis.get(key)).toEqual(Option.some("v")) // MOVED: the shard's first slot is patched to the other master
      expect(redis.topology.current().slots[first]!.master.port).toBe(target.port)
      expect(yield* redis.dbsize()).toBe(101)
      const perNode = yield* redis.perNode(Command.dbsize())
      expect(perNode.map((r) => r.address).sort()).toEqual(redis.topology.current().shards.filter((s) => s.ranges.length > 0).map((s) => s.master.address).sort())
    }).pipe(Effect.provide(Fixture)), 60_000)
})
