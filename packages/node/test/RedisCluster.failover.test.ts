import { describe, expect, it } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Layer, Option } from "effect"
import * as Cluster from "./helpers/cluster.js"
import * as Load from "./helpers/load.js"

/** Keys whose slots belong to the master on `port` (per the fixture's view). */
const keysOwnedBy = (fixture: RedisClusterFixture.ClusterFixture, port: number, prefix: string, count: number) =>
  Effect.gen(function*() {
    const masters = yield* fixture.masters
    const owner = masters.find((m) => m.port === port)!
    const owns = (slot: number) => owner.slots.some(([a, b]) => slot >= a && slot <= b)
    const keys: Array<string> = []
    for (let i = 0; keys.length < count; i++) {
      const key = `${prefix}:${i}`
      if (owns(Slot.slot(key))) keys.push(key)
    }
    return keys
  })

const commandStat = (info: string, command: string): number => {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)
  return match === null ? 0 : Number(match[1])
}

const infoText = (reply: unknown): string => typeof reply === "string" ? reply : String(reply)

const client = (config: Partial<RedisCluster.RedisClusterConfig> = {}) =>
  Effect.flatMap(Effect.service(RedisClusterFixture.RedisClusterFixture), (fixture) =>
    Layer.build(NodeRedisCluster.layer({ startupNodes: fixture.startupNodes, commandTimeout: "6 seconds", ...config })).pipe(
      Effect.map((context) => Effect.provide(context))
    ))

describe("RedisCluster under failover", () => {
  it.live("SIGKILL of a master under 4 writers: only the writes in flight fail; later ones wait for the promotion", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const provide = yield* client()
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      const victim = (yield* fixture.masters)[0]!
      const keys = yield* keysOwnedBy(fixture, victim.port, "kill", 40)
      const workload = yield* Load.start(4, (w, seq) => redis.set(keys[(w * 10 + seq) % keys.length]!, `${w}:${seq}`))
      yield* Load.waitForSuccesses(workload, 200)
      const killedAt = Date.now()
      yield* fixture.killNode(victim.port)
      // Promotion takes ~2 s at node timeout 1000; then writes must flow again.
      yield* Effect.sleep("500 millis")
      yield* Load.waitForSuccesses(workload, 400, 15_000)
      const outcomes = yield* workload.stop
      const failed = outcomes.filter((o) => o.error !== undefined)
      expect(failed.length, Load.describeErrors(outcomes)).toBeLessThanOrEqual(4)
      for (const f of failed) {
        expect(f.error!._tag).toBe("ConnectionError")
        // Only commands already on the wire when the node died.
        expect(f.startedAt).toBeLessThanOrEqual(killedAt + 50)
      }
      const slowest = Math.max(...outcomes.map((o) => o.millis))
      expect(slowest).toBeLessThan(6_500)
      // Everything issued after the promotion succeeds.
      const after = outcomes.filter((o) => o.startedAt > killedAt + 100)
      expect(after.length).toBeGreaterThan(100)
      expect(after.every((o) => o.error === undefined), Load.describeErrors(after)).toBe(true)
      // The new master serves the slots, and the data written is there.
      for (const key of keys.slice(0, 5)) expect(Option.isSome(yield* redis.get(key))).toBe(true)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("commands sent to every master or split per slot ride out a master SIGKILL: DBSIZE, KEYS and MGET answer in full", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const provide = yield* client()
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      const keys = Array.from({ length: 300 }, (_, i) => `fan:${i}`)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, `v:${k}`])))
      const masters = yield* fixture.masters
      // Replicated before the kill, so the promoted replica holds every key.
      for (const m of masters) expect(yield* redis.executeOn({ host: m.host, port: m.port }, Command.wait(1, 5000))).toBe(1)
      yield* fixture.killNode(masters[0]!.port)
      // Issued at once: the dead master's parts are retried on its promoted replica.
      const [size, found, values] = yield* Effect.all([redis.dbsize(), redis.keys("fan:*"), redis.mget(keys)], { concurrency: "unbounded" })
      expect(size).toBe(300)
      expect([...found].sort()).toEqual([...keys].sort())
      expect(values).toEqual(keys.map((k) => Option.some(`v:${k}`)))
      // The merged count is one reply per serving master, not one per part sent.
      expect(yield* redis.dbsize()).toBe(300)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("a command sent to every node does not wait for a replica that died: CLUSTER MYID answers for the nodes left", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const provide = yield* client()
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      expect(Object.keys(yield* redis.clusterMyid())).toHaveLength(6)
      const victim = (yield* fixture.replicas)[0]!
      yield* fixture.killNode(victim.port)
      const ids = yield* redis.clusterMyid()
      expect(Object.keys(ids)).toHaveLength(5)
      expect(Object.keys(ids)).not.toContain(`${victim.host}:${victim.port}`)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("a master frozen until its replica takes over (a partition, no RST): commands time out, then reach the new master", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // No periodic refresh: only what the client learns from its own commands can move it.
      const provide = yield* client({ commandTimeout: "1 second", topologyRefreshInterval: 0 })
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      const victim = (yield* fixture.masters)[0]!
      const keys = yield* keysOwnedBy(fixture, victim.port, "frozen", 20)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "v"])))
      for (const m of yield* fixture.masters) expect(yield* redis.executeOn({ host: m.host, port: m.port }, Command.wait(1, 5000))).toBe(1)
      const workload = yield* Load.start(2, (w, seq) => redis.get(keys[(w + seq) % keys.length]!))
      yield* Load.waitForSuccesses(workload, 50)
      yield* fixture.pauseNode(victim.port)
      // Returns once the replica is promoted (node timeout 1000 ms).
      yield* fixture.waitHealthy()
      const promotedAt = Date.now()
      // A refresh that began before the promotion may still see the old map; the next command
      // that times out (within commandTimeout) brings a fresh one. Judged on the commands started
      // 2.5 s or more after the promotion, once there are enough of them.
      const late = (os: ReadonlyArray<Load.Outcome>) => os.filter((o) => o.startedAt > promotedAt + 2_500)
      yield* Cluster.waitUntil("30 commands started 2.5 s after the promotion", Effect.map(workload.outcomes, (os) => late(os).length > 30), 15_000)
      const outcomes = yield* workload.stop
      yield* fixture.resumeNode(victim.port)
      expect(late(outcomes).length).toBeGreaterThan(20)
      expect(late(outcomes).every((o) => o.error === undefined), Load.describeErrors(late(outcomes))).toBe(true)
      // While the master was frozen its commands ended by the deadline, typed.
      for (const o of outcomes) if (o.error !== undefined) expect(o.error._tag).toBe("TimeoutError")
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("manual failover under load loses nothing; the old master restarted rejoins and serves replica reads", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const provide = yield* client({ readFrom: "replica" })
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      const master = (yield* fixture.masters)[1]!
      const replica = (yield* fixture.replicasOf(master.port))[0]!
      const keys = yield* keysOwnedBy(fixture, master.port, "fo", 20)
      const workload = yield* Load.start(4, (w, seq) => {
        const key = keys[(w * 5 + seq) % keys.length]!
        return seq % 2 === 0 ? redis.incr(key) : redis.get(key)
      })
      yield* Load.waitForSuccesses(workload, 200)
      yield* fixture.failover(replica.port, "default")
      yield* Load.waitForSuccesses(workload, 200)
      const outcomes = yield* workload.stop
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      // Counters are exact: no INCR lost or applied twice.
      const incrs = new Map<string, number>()
      for (const o of outcomes) {
        if (o.seq % 2 === 0) {
          const key = keys[(o.worker * 5 + o.seq) % keys.length]!
          incrs.set(key, (incrs.get(key) ?? 0) + 1)
        }
      }
      for (const [key, n] of incrs) {
        expect(yield* redis.get(key)).toEqual(Option.some(String(n)))
      }
      // Kill the new master's peer (the old master, now a replica), restart it: it serves reads again.
      yield* fixture.killNode(master.port)
      yield* fixture.restartNode(master.port)
      // The rejoined replica shows `loading` in some views until its sync is seen everywhere.
      const readReplicaPorts = () =>
        redis.topology.current().shards.find((s) => s.master.port === replica.port)?.readReplicas.map((r) => r.port) ?? []
      for (let i = 0; i < 100 && !readReplicaPorts().includes(master.port); i++) {
        yield* redis.topology.refresh()
        if (!readReplicaPorts().includes(master.port)) yield* Effect.sleep("100 millis")
      }
      expect(readReplicaPorts()).toContain(master.port)
      const before = commandStat(infoText(yield* fixture.command(master.port, "INFO", "commandstats")), "get")
      yield* Effect.forEach(Arr.range(0, 49), (i) => redis.get(keys[i % keys.length]!), { discard: true })
      const after = commandStat(infoText(yield* fixture.command(master.port, "INFO", "commandstats")), "get")
      expect(after - before).toBe(50)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("readFrom replica: reads are served by replicas, writes by masters", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const provide = yield* client({ readFrom: "replica" })
      const redis = yield* provide(Effect.service(RedisCluster.RedisCluster))
      const keys = Arr.range(0, 299).map((i) => `rr:${i}`)
      yield* Effect.forEach(keys, (k) => redis.set(k, k), { concurrency: 20, discard: true })
      const replicas = yield* fixture.replicas
      const masters = yield* fixture.masters
      // Replication is asynchronous: wait until every replica has every key (WAIT on the client's
      // own connection to each master, the one that carried the writes).
      for (const m of masters) expect(yield* redis.executeOn({ host: m.host, port: m.port }, Command.wait(1, 5000))).toBe(1)
      const stat = (port: number) => Effect.map(fixture.command(port, "INFO", "commandstats"), (r) => commandStat(infoText(r), "get"))
      const replicaBefore = yield* Effect.forEach(replicas, (r) => stat(r.port))
      const masterBefore = yield* Effect.forEach(masters, (m) => stat(m.port))
      const values = yield* Effect.forEach(keys, (k) => redis.get(k), { concurrency: 20 })
      expect(values).toEqual(keys.map(Option.some))
      const replicaAfter = yield* Effect.forEach(replicas, (r) => stat(r.port))
      const masterAfter = yield* Effect.forEach(masters, (m) => stat(m.port))
      const servedByReplicas = replicaAfter.reduce((a, b, i) => a + b - replicaBefore[i]!, 0)
      const servedByMasters = masterAfter.reduce((a, b, i) => a + b - masterBefore[i]!, 0)
      expect(servedByReplicas).toBe(300)
      expect(servedByMasters).toBe(0)
      // Every replica took part.
      for (let i = 0; i < replicas.length; i++) expect(replicaAfter[i]! - replicaBefore[i]!).toBeGreaterThan(0)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)
})
