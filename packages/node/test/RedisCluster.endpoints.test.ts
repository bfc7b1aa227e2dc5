/**
 * How nodes are addressed: announced hostnames, empty ("use the host you asked") and unknown ("?")
 * endpoints, `hostPortRemap` through loopback port forwarders (table and function), and
 * `followCluster` after the startup node died. Each test has its own cluster.
 */
import { describe, expect, it } from "@effect/vitest"
import { RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Either, Option } from "effect"
import * as Cluster from "./helpers/cluster.js"
import * as PortForwarder from "./helpers/PortForwarder.js"

type Fixture = RedisClusterFixture.ClusterFixture

/** The error reply a non-owner gives for `key` (MOVED), straight from the server. */
const rawMoved = (fixture: Fixture, key: string) =>
  Effect.gen(function*() {
    const owner = yield* fixture.masterOf(Slot.slot(key))
    const other = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    const reply = yield* Effect.either(fixture.command(other.port, "GET", key))
    return { owner, message: Either.isLeft(reply) ? reply.left.message : `no error: ${JSON.stringify(reply.right)}` }
  })

/** The `endpoint` field of every node in one node's `CLUSTER SHARDS` (RESP2: flat field lists). */
const shardEndpoints = (fixture: Fixture, port: number) =>
  Effect.map(fixture.command(port, "CLUSTER", "SHARDS"), (reply) => {
    const out: Array<unknown> = []
    for (const shard of reply as ReadonlyArray<ReadonlyArray<unknown>>) {
      const nodes = shard[shard.indexOf("nodes") + 1] as ReadonlyArray<ReadonlyArray<unknown>>
      for (const node of nodes) out.push(node[node.indexOf("endpoint") + 1])
    }
    return out
  })

/** Moves the slot of `key` to another master; returns that master's port. */
const moveSlotOf = (fixture: Fixture, key: string) =>
  Effect.gen(function*() {
    const slot = Slot.slot(key)
    const owner = yield* fixture.masterOf(slot)
    const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    yield* fixture.migrateSlot(slot, target.port)
    return target.port
  })

/**
 * Moves the slot of `key` step by step to another master: while half-moved, a GET of `key` (moved)
 * and a SET of a new key in the slot follow ASK. Returns the raw ASK reply the old owner gave,
 * and the new owner's port.
 */
const askThenFinish = (fixture: Fixture, redis: RedisCluster.RedisCluster, key: string) =>
  Effect.gen(function*() {
    const slot = Slot.slot(key)
    yield* redis.set(key, "asked")
    const owner = yield* fixture.masterOf(slot)
    const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    yield* fixture.beginMigration(slot, target.port)
    yield* fixture.migrateKeys(slot, [key])
    const raw = yield* Effect.either(fixture.command(owner.port, "GET", key))
    const askingBefore = yield* Cluster.commandCalls(fixture, target.port, "asking")
    const asksBefore = yield* Cluster.redirectsSeen("ask")
    expect(yield* redis.get(key)).toEqual(Option.some("asked"))
    yield* redis.set(`${key}:new`, "created")
    expect((yield* Cluster.commandCalls(fixture, target.port, "asking")) - askingBefore).toBeGreaterThanOrEqual(2)
    expect((yield* Cluster.redirectsSeen("ask")) - asksBefore).toBeGreaterThanOrEqual(2)
    // ASK leaves the slot map alone.
    expect(redis.topology.current().slots[slot]!.master.port).not.toBe(target.port)
    yield* fixture.finishMigration(slot)
    expect(yield* redis.mget([key, `${key}:new`])).toEqual([Option.some("asked"), Option.some("created")])
    return { ask: Either.isLeft(raw) ? raw.left.message : `no error: ${JSON.stringify(raw.right)}`, owner: owner.port, target: target.port }
  })

const keys = Arr.range(0, 99).map((i) => `ep:${i}`)

/** Writes and reads back keys in every slot range. */
const roundTrip = (redis: RedisCluster.RedisCluster, prefix: string) =>
  Effect.gen(function*() {
    const ks = keys.map((k) => `${prefix}${k}`)
    yield* Effect.forEach(ks, (k) => redis.set(k, `v-${k}`), { concurrency: 20, discard: true })
    expect(yield* Effect.forEach(ks, (k) => redis.get(k), { concurrency: 20 })).toEqual(ks.map((k) => Option.some(`v-${k}`)))
  })

/** Every discovered node has `host`; returns their ports. */
const expectHosts = (redis: RedisCluster.RedisCluster, host: string, size: number) => {
  const nodes = Array.from(redis.topology.current().nodes.values())
  expect(nodes.map((n) => n.host)).toEqual(nodes.map(() => host))
  expect(nodes).toHaveLength(size)
  return nodes.map((n) => n.port)
}

describe("RedisCluster endpoints", () => {
  it.scopedLive("announced hostnames: nodes discovered as localhost:port; MOVED carrying a hostname is followed", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const key = "{host}k"
      // What the server says: hostnames in CLUSTER SHARDS and in MOVED.
      expect(new Set(yield* shardEndpoints(fixture, fixture.startupNodes[0]!.port))).toEqual(new Set(["localhost"]))
      const { owner, message } = yield* rawMoved(fixture, key)
      expect(message).toBe(`MOVED ${Slot.slot(key)} localhost:${owner.port}`)

      const redis = yield* Cluster.client({ startupNodes: fixture.startupNodes, metrics: true })
      const ports = expectHosts(redis, "localhost", 6)
      expect(new Set(ports)).toEqual(new Set(fixture.startupNodes.map((n) => n.port)))
      for (const node of redis.topology.current().nodes.values()) expect(node.hostname).toBe("localhost")
      yield* roundTrip(redis, "h:")

      yield* redis.set(key, "before")
      const movedBefore = yield* Cluster.redirectsSeen("moved")
      const target = yield* moveSlotOf(fixture, key)
      expect(yield* redis.get(key)).toEqual(Option.some("before"))
      expect((yield* Cluster.redirectsSeen("moved")) - movedBefore).toBeGreaterThan(0)
      yield* redis.set(key, "after")
      expect(yield* redis.get(key)).toEqual(Option.some("after"))
      expect(redis.topology.current().slots[Slot.slot(key)]!.master.address).toBe(`localhost:${target}`)
      const asked = yield* askThenFinish(fixture, redis, "{hostask}k")
      expect(asked.ask).toBe(`ASK ${Slot.slot("{hostask}k")} localhost:${asked.target}`)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ announceHostname: true }))), 60_000)

  it.scopedLive("empty endpoints (unknown-endpoint): the host asked is used, for discovery and for MOVED :port", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const key = "{empty}k"
      expect(new Set(yield* shardEndpoints(fixture, fixture.startupNodes[0]!.port))).toEqual(new Set([""]))
      const { owner, message } = yield* rawMoved(fixture, key)
      expect(message).toBe(`MOVED ${Slot.slot(key)} :${owner.port}`)

      // Seeds named "localhost": an empty endpoint means that host, not the node's IP.
      const redis = yield* Cluster.client({
        startupNodes: fixture.startupNodes.map((n) => ({ host: "localhost", port: n.port })),
        metrics: true
      })
      expectHosts(redis, "localhost", 6)
      yield* roundTrip(redis, "e:")

      yield* redis.set(key, "before")
      const movedBefore = yield* Cluster.redirectsSeen("moved")
      const target = yield* moveSlotOf(fixture, key)
      expect(yield* redis.get(key)).toEqual(Option.some("before"))
      expect((yield* Cluster.redirectsSeen("moved")) - movedBefore).toBeGreaterThan(0)
      // The MOVED patch itself (before any refresh) names the host asked and the port given.
      expect(redis.topology.current().slots[Slot.slot(key)]!.master.address).toBe(`localhost:${target}`)
      yield* redis.topology.refresh()
      expectHosts(redis, "localhost", 6)
      yield* roundTrip(redis, "e2:")
      const asked = yield* askThenFinish(fixture, redis, "{emptyask}k")
      expect(asked.ask).toBe(`ASK ${Slot.slot("{emptyask}k")} :${asked.target}`)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ serverArgs: ["--cluster-preferred-endpoint-type", "unknown-endpoint"] }))), 60_000)

  it.scopedLive("preferred endpoint hostname without a hostname: the server says \"?\"; the client refuses at once with a typed error", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // Redis 7.0 gives "?" here (not ""): `cluster-preferred-endpoint-type hostname` with no
      // `cluster-announce-hostname` is an unknown endpoint.
      expect(new Set(yield* shardEndpoints(fixture, fixture.startupNodes[0]!.port))).toEqual(new Set(["?"]))
      const { owner, message } = yield* rawMoved(fixture, "{q}k")
      expect(message).toBe(`MOVED ${Slot.slot("{q}k")} ?:${owner.port}`)
      const startedAt = Date.now()
      const result = yield* Effect.either(Cluster.client({ startupNodes: fixture.startupNodes }))
      expect(Either.isLeft(result)).toBe(true)
      expect(Date.now() - startedAt).toBeLessThan(5_000)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ replicasPerMaster: 0, serverArgs: ["--cluster-preferred-endpoint-type", "hostname"] }))), 60_000)

  describe("hostPortRemap through port forwarders", () => {
    /**
     * Forwards every node, gives the client only forwarder addresses, and checks that every
     * connection went through a forwarder, before and after a MOVED.
     */
    const throughForwarders = (
      remapOf: (forwarded: ReadonlyMap<number, PortForwarder.PortForwarder>) => RedisCluster.RedisClusterConfig["hostPortRemap"],
      clientHost: string
    ) =>
      Effect.gen(function*() {
        const fixture = yield* RedisClusterFixture.RedisClusterFixture
        const nodes = yield* fixture.nodes
        const forwarders = new Map<number, PortForwarder.PortForwarder>()
        for (const n of nodes) forwarders.set(n.port, yield* PortForwarder.make(n.port))
        const fwdPorts = new Set(Array.from(forwarders.values(), (f) => f.port))
        const clientName = "keyslot-remap"
        const redis = yield* Cluster.client({
          startupNodes: Array.from(forwarders.values(), (f) => ({ host: f.host, port: f.port })),
          hostPortRemap: remapOf(forwarders),
          // Reads on replicas, so that every node (and so every forwarder) carries commands.
          readFrom: "replicaPreferred",
          clientName,
          metrics: true
        })

        const discovered = Array.from(redis.topology.current().nodes.values())
        expect(discovered).toHaveLength(nodes.length)
        for (const node of discovered) {
          expect(fwdPorts.has(node.port), `${node.address} is a forwarder`).toBe(true)
          expect(node.host).toBe(clientHost)
        }

        const ks = Arr.range(0, 199).map((i) => `remap:${i}`)
        yield* redis.mset(Object.fromEntries(ks.map((k) => [k, `v-${k}`])))
        for (const m of yield* fixture.masters) yield* fixture.command(m.port, "WAIT", 1, 2000)
        expect(yield* Effect.forEach(ks, (k) => redis.get(k), { concurrency: 20 })).toEqual(ks.map((k) => Option.some(`v-${k}`)))

        /** Every connection of this client to every node came from that node's forwarder. */
        const onlyThroughForwarders = Effect.gen(function*() {
          for (const n of yield* fixture.nodes) {
            if (!n.alive) continue
            const list = String(yield* fixture.command(n.port, "CLIENT", "LIST"))
            const ours = list.split("\n").filter((line) => line.includes(` name=${clientName} `))
            expect(ours.length, `connections of the client to ${n.port}`).toBeGreaterThan(0)
            const upstream = forwarders.get(n.port)!.upstreamPorts()
            for (const line of ours) {
              const port = Number(/ addr=[^ ]*:(\d+) /.exec(` ${line}`)?.[1])
              expect(upstream.has(port), `node ${n.port}: ${line}`).toBe(true)
            }
          }
        })
        yield* onlyThroughForwarders
        for (const [port, f] of forwarders) {
          const stats = f.stats()
          expect(stats.accepted, `forwarder of ${port}`).toBeGreaterThan(0)
          expect(stats.bytesUp, `forwarder of ${port}`).toBeGreaterThan(0)
          expect(stats.bytesDown, `forwarder of ${port}`).toBeGreaterThan(0)
        }

        // MOVED names the real port; the client must go to its forwarder.
        const key = "{remap}k"
        yield* redis.set(key, "before")
        const movedBefore = yield* Cluster.redirectsSeen("moved")
        const target = yield* moveSlotOf(fixture, key)
        const targetBytes = forwarders.get(target)!.stats().bytesUp
        expect(yield* redis.set(key, "after")).toEqual(Option.some("OK"))
        expect((yield* Cluster.redirectsSeen("moved")) - movedBefore).toBeGreaterThan(0)
        expect(redis.topology.current().slots[Slot.slot(key)]!.master.port).toBe(forwarders.get(target)!.port)
        expect(forwarders.get(target)!.stats().bytesUp).toBeGreaterThan(targetBytes)
        expect(yield* redis.get(key)).toEqual(Option.some("after"))
        yield* redis.topology.refresh()
        for (const node of redis.topology.current().nodes.values()) expect(fwdPorts.has(node.port), node.address).toBe(true)
        // ASK names the real port too.
        const asked = yield* askThenFinish(fixture, redis, "{remapask}k")
        expect(asked.ask).toBe(`ASK ${Slot.slot("{remapask}k")} 127.0.0.1:${asked.target}`)
        yield* onlyThroughForwarders
      })

    it.scopedLive("as a table: only forwarder addresses are used, MOVED included", () =>
      throughForwarders(
        (fw) => Array.from(fw, ([real, f]) => ({ from: { port: real }, to: { port: f.port } })),
        "127.0.0.1"
      ).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

    it.scopedLive("as a function (rewriting the host too): only forwarder addresses are used, MOVED included", () =>
      throughForwarders(
        (fw) => (e) => {
          const f = fw.get(e.port)
          return f === undefined ? e : { host: "localhost", port: f.port }
        },
        "localhost"
      ).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)
  })

  describe("followCluster", () => {
    /**
     * The only startup node is a replica reached through a forwarder (so asks to the seed address
     * can be counted); after discovery the replica is killed. Returns what the seed saw after.
     */
    const seedKilled = (followCluster: boolean) =>
      Effect.gen(function*() {
        const fixture = yield* RedisClusterFixture.RedisClusterFixture
        const replica = (yield* fixture.replicas)[0]!
        const seed = yield* PortForwarder.make(replica.port)
        const redis = yield* Cluster.client({ startupNodes: [{ host: seed.host, port: seed.port }], followCluster, minRefreshInterval: 0 })
        expect(redis.topology.current().nodes.size).toBe(6)
        yield* fixture.killNode(replica.port)
        const seen = seed.stats()
        const refreshesBefore = redis.topology.refreshCount()
        for (let i = 0; i < 5; i++) {
          const snapshot = yield* redis.topology.refresh()
          expect(snapshot.uncovered).toBe(0)
          expect(snapshot.shards.filter((s) => s.ranges.length > 0)).toHaveLength(3)
        }
        expect(redis.topology.refreshCount() - refreshesBefore).toBeGreaterThanOrEqual(5)
        yield* roundTrip(redis, `fc${followCluster}:`)
        // Once the cluster flags the replica failed, the client's map says so too.
        yield* fixture.waitHealthy()
        yield* Cluster.waitUntil("the killed replica flagged failed", Effect.map(redis.topology.refresh(), (s) => {
          const node = s.nodes.get(`127.0.0.1:${replica.port}`)
          return node === undefined || node.health === "failed" || `health ${node.health}`
        }))
        const after = seed.stats()
        return { asksToSeed: after.accepted - seen.accepted, bytesToSeed: after.bytesUp - seen.bytesUp }
      })

    it.scopedLive("true: the startup node killed after discovery; refreshes work from the known nodes and never ask the seed", () =>
      Effect.gen(function*() {
        const seed = yield* seedKilled(true)
        expect(seed).toEqual({ asksToSeed: 0, bytesToSeed: 0 })
      }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

    it.scopedLive("false: the dead seed is asked first, and refreshes still succeed from the known nodes", () =>
      Effect.gen(function*() {
        const seed = yield* seedKilled(false)
        expect(seed.asksToSeed).toBeGreaterThan(0)
      }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)
  })
})
