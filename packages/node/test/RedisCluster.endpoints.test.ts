/**
 * How nodes are addressed: announced hostnames, empty ("use the host you asked") and unknown ("?")
 * endpoints, `hostPortRemap` through loopback port forwarders (table and function), and
 * `followCluster` after the startup node died. Each test has its own cluster.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Exit, Option, Result, Scope } from "effect"
import * as Cluster from "./helpers/cluster.js"
import * as Load from "./helpers/load.js"
import * as PortForwarder from "./helpers/PortForwarder.js"

type Fixture = RedisClusterFixture.ClusterFixture

/** The error reply a non-owner gives for `key` (MOVED), straight from the server. */
const rawMoved = (fixture: Fixture, key: string) =>
  Effect.gen(function*() {
    const owner = yield* fixture.masterOf(Slot.slot(key))
    const other = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    const reply = yield* Effect.result(fixture.command(other.port, "GET", key))
    return { owner, message: Result.isFailure(reply) ? reply.failure.message : `no error: ${JSON.stringify(reply.success)}` }
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
 * Moves the slot of `key` step by step to another master: while half-moved, a read of `key` (moved)
 * and a SET of a new key in the slot follow ASK. Returns the raw ASK reply the old owner gave,
 * and the new owner's port.
 *
 * `portOf` maps a real port to the one the client's map uses (forwarders).
 * The read is `SET key value GET` (a write, so it goes to the master whatever `readFrom` says): a
 * replica of the old owner knows nothing of the migration and answers nil for a moved key.
 */
const askThenFinish = (fixture: Fixture, redis: RedisCluster.RedisClusterService, key: string, portOf: (real: number) => number = (p) => p) =>
  Effect.gen(function*() {
    const slot = Slot.slot(key)
    const created = `${key}:new`
    yield* redis.set(key, "asked")
    const owner = yield* fixture.masterOf(slot)
    const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
    yield* fixture.beginMigration(slot, target.port)
    yield* fixture.migrateKeys(slot, [key])
    const raw = yield* Effect.result(fixture.command(owner.port, "GET", key))
    const askingBefore = yield* Cluster.commandCalls(fixture, target.port, "asking")
    const asksBefore = yield* Cluster.redirectsSeen("ask")
    expect(yield* redis.set(key, "asked", { get: true })).toEqual(Option.some("asked"))
    yield* redis.set(created, "created")
    expect((yield* Cluster.commandCalls(fixture, target.port, "asking")) - askingBefore).toBeGreaterThanOrEqual(2)
    expect((yield* Cluster.redirectsSeen("ask")) - asksBefore).toBeGreaterThanOrEqual(2)
    // ASK leaves the slot map alone.
    expect(redis.topology.current().slots[slot]!.master.port).toBe(portOf(owner.port))
    expect(yield* fixture.command(target.port, "CLUSTER", "COUNTKEYSINSLOT", slot)).toBe(2)
    yield* fixture.finishMigration(slot)
    expect(yield* redis.set(key, "asked", { get: true })).toEqual(Option.some("asked"))
    expect(yield* redis.set(created, "created", { get: true })).toEqual(Option.some("created"))
    return { ask: Result.isFailure(raw) ? raw.failure.message : `no error: ${JSON.stringify(raw.success)}`, owner: owner.port, target: target.port }
  })

const keys = Arr.range(0, 99).map((i) => `ep:${i}`)

/** Writes and reads back keys in every slot range. */
const roundTrip = (redis: RedisCluster.RedisClusterService, prefix: string) =>
  Effect.gen(function*() {
    const ks = keys.map((k) => `${prefix}${k}`)
    yield* Effect.forEach(ks, (k) => redis.set(k, `v-${k}`), { concurrency: 20, discard: true })
    expect(yield* Effect.forEach(ks, (k) => redis.get(k), { concurrency: 20 })).toEqual(ks.map((k) => Option.some(`v-${k}`)))
  })

/** Every discovered node has `host`; returns their ports. */
const expectHosts = (redis: RedisCluster.RedisClusterService, host: string, size: number) => {
  const nodes = Array.from(redis.topology.current().nodes.values())
  expect(nodes.map((n) => n.host)).toEqual(nodes.map(() => host))
  expect(nodes).toHaveLength(size)
  return nodes.map((n) => n.port)
}

/**
 * Forwards every node, gives the client only forwarder addresses, and checks that every
 * connection went through a forwarder, before and after a MOVED.
 */
const throughForwarders = (
  remapOf: (forwarded: ReadonlyMap<number, PortForwarder.PortForwarder>) => RedisCluster.RedisClusterConfig["hostPortRemap"],
  clientHost: string,
  clientName: string
) =>
  Effect.gen(function*() {
    const fixture = yield* RedisClusterFixture.RedisClusterFixture
    const nodes = yield* fixture.nodes
    const forwarders = new Map<number, PortForwarder.PortForwarder>()
    for (const n of nodes) forwarders.set(n.port, yield* PortForwarder.make(n.port))
    const fwdPorts = new Set(Array.from(forwarders.values(), (f) => f.port))
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

    const ks = Arr.range(0, 199).map((i) => `${clientName}:${i}`)
    yield* redis.mset(Object.fromEntries(ks.map((k) => [k, `v-${k}`])))
    yield* Cluster.waitReplicated(fixture)
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
    const key = `{moved-${clientName}}k`
    yield* redis.set(key, "before")
    const movedBefore = yield* Cluster.redirectsSeen("moved")
    const target = yield* moveSlotOf(fixture, key)
    const targetBytes = forwarders.get(target)!.stats().bytesUp
    expect(yield* redis.set(key, "after")).toEqual(Option.some("OK"))
    expect((yield* Cluster.redirectsSeen("moved")) - movedBefore).toBeGreaterThan(0)
    expect(redis.topology.current().slots[Slot.slot(key)]!.master.port).toBe(forwarders.get(target)!.port)
    expect(forwarders.get(target)!.stats().bytesUp).toBeGreaterThan(targetBytes)
    yield* Cluster.waitReplicated(fixture)
    expect(yield* redis.get(key)).toEqual(Option.some("after"))
    yield* redis.topology.refresh()
    for (const node of redis.topology.current().nodes.values()) expect(fwdPorts.has(node.port), node.address).toBe(true)
    // ASK names the real port too.
    const askKey = `{ask-${clientName}}k`
    const asked = yield* askThenFinish(fixture, redis, askKey, (real) => forwarders.get(real)!.port)
    expect(asked.ask).toBe(`ASK ${Slot.slot(askKey)} 127.0.0.1:${asked.target}`)
    yield* onlyThroughForwarders
  })

/** Forwarders listening on `port + offset` for each port, for the first offset whose ports are all free. */
const forwardersAtOffset = (ports: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    for (const offset of [1111, 2222, 3333, 4444, 5555, 6666, 7777, 8888]) {
      const scope = yield* Scope.make()
      const attempt = yield* Effect.result(
        Effect.forEach(ports, (p) => PortForwarder.make(p, { listenPort: p + offset })).pipe(Scope.provide(scope))
      )
      if (Result.isSuccess(attempt)) {
        yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
        return { offset, forwarders: attempt.success }
      }
      yield* Scope.close(scope, Exit.void)
    }
    return yield* Effect.fail(new Error("no offset with every forwarder port free"))
  })

/** Every node reachable at its announced port + offset, as behind a NAT publishing 7000 as 17000. */
const behindNat = Effect.gen(function*() {
  const fixture = yield* RedisClusterFixture.RedisClusterFixture
  const nodes = yield* fixture.nodes
  const { forwarders, offset } = yield* forwardersAtOffset(nodes.map((n) => n.port))
  const remap = (e: { readonly host: string; readonly port: number }) => ({ host: e.host, port: e.port + offset })
  return { nodes, forwarders, remap, fwdPorts: forwarders.map((f) => f.port).sort() }
})

describe("RedisCluster endpoints", () => {
  it.live("announced hostnames: nodes discovered as localhost:port; MOVED carrying a hostname is followed", () =>
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

  it.live("empty endpoints (unknown-endpoint): the host asked is used, for discovery and for MOVED :port", () =>
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

  it.live("preferred endpoint hostname without a hostname: the server says \"?\"; the client uses the nodes' IPs and follows MOVED ?:port", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // Redis 7.0 gives "?" here (not ""): `cluster-preferred-endpoint-type hostname` with no
      // `cluster-announce-hostname` is an unknown endpoint.
      expect(new Set(yield* shardEndpoints(fixture, fixture.startupNodes[0]!.port))).toEqual(new Set(["?"]))
      const { owner, message } = yield* rawMoved(fixture, "{q}k")
      expect(message).toBe(`MOVED ${Slot.slot("{q}k")} ?:${owner.port}`)
      const redis = yield* Cluster.client({ startupNodes: fixture.startupNodes })
      // CLUSTER SHARDS still carries each node's `ip`: the map is complete and routable.
      expect(redis.topology.current().uncovered).toBe(0)
      expectHosts(redis, "127.0.0.1", 3)
      yield* roundTrip(redis, "q:")
      // A stale map gets `MOVED slot ?:port`: resolved to the known node on that port.
      const slot = Slot.slot("{q}k")
      yield* redis.set("{q}k", "1")
      const target = (yield* fixture.masters).find((m) => m.port !== owner.port)!
      yield* fixture.migrateSlot(slot, target.port)
      expect(yield* redis.get("{q}k")).toEqual(Option.some("1"))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ replicasPerMaster: 0, serverArgs: ["--cluster-preferred-endpoint-type", "hostname"] }))), 60_000)

  it.live("the cluster switches to hostname endpoints under load: the client follows, no command fails", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // Seeds: the replicas, so that refreshes never wait on the master paused below.
      const clientName = "keyslot-switch"
      const redis = yield* Cluster.client({
        startupNodes: (yield* fixture.replicas).map((r) => ({ host: r.host, port: r.port })),
        minRefreshInterval: 0,
        clientName
      })
      expectHosts(redis, "127.0.0.1", 6)
      const counters = new Map<string, Array<number>>()
      const workload = yield* Load.start(8, (w, seq) => {
        const key = `sw:${w}:${seq % 20}`
        return Effect.map(redis.incr(key), (n) => counters.set(key, [...(counters.get(key) ?? []), n]))
      })
      yield* Load.waitForSuccesses(workload, 300)
      const ports = (yield* fixture.nodes).map((n) => n.port)
      // First the hostnames, gossiped to every node; then every node prefers them.
      for (const port of ports) yield* fixture.command(port, "CONFIG", "SET", "cluster-announce-hostname", "localhost")
      yield* Cluster.waitUntil("every node to know every hostname", Effect.map(
        Effect.forEach(ports, (port) => fixture.command(port, "CLUSTER", "NODES")),
        (views) => views.every((v) => String(v).trim().split("\n").every((line) => line.split(" ")[1]!.endsWith(",localhost")))
      ))
      for (const port of ports) yield* fixture.command(port, "CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname")
      // Hold the writes of one master, so that some are surely in flight when the client learns
      // the new addresses (CLIENT PAUSE WRITE: the connection stays up, the INCRs wait).
      const held = (yield* fixture.masters)[0]!
      yield* fixture.command(held.port, "CLIENT", "PAUSE", 10_000, "WRITE")
      yield* Cluster.waitUntil("an INCR of the client held on the paused master", Effect.map(
        fixture.command(held.port, "CLIENT", "LIST"),
        (list) => String(list).split("\n").some((l) => l.includes(` name=${clientName} `) && / flags=\w*b/.test(l) && l.includes(" cmd=incr "))
      ))
      yield* Cluster.waitUntil("the map to name every node localhost", Effect.map(redis.topology.refresh(), (snapshot) =>
        Array.from(snapshot.nodes.values()).every((n) => n.host === "localhost")))
      yield* fixture.command(held.port, "CLIENT", "UNPAUSE")
      yield* Load.waitForSuccesses(workload, 300)
      const outcomes = yield* workload.stop
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      for (const [key, values] of counters) expect(yield* redis.get(key)).toEqual(Option.some(String(values.length)))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

  it.live("empty endpoints, seeds spelled two ways: node addresses stay put across refreshes, no command fails", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // The same loopback interface as "127.0.0.1" for some seeds and "localhost" for others: an
      // empty endpoint means "the host you asked", so each node's view spells every node its way.
      const redis = yield* Cluster.client({
        startupNodes: fixture.startupNodes.map((n, i) => ({ host: i % 2 === 0 ? "127.0.0.1" : "localhost", port: n.port })),
        minRefreshInterval: 0
      })
      const workload = yield* Load.start(8, (w, seq) => redis.set(`mixed:${w}:${seq % 20}`, String(seq)))
      yield* Load.waitForSuccesses(workload, 200)
      const spellings = new Set<string>()
      for (let i = 0; i < 30; i++) {
        const snapshot = yield* redis.topology.refresh()
        spellings.add(Array.from(snapshot.nodes.keys()).sort().join(" "))
      }
      const outcomes = yield* workload.stop
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      expect(Array.from(spellings), "node addresses seen over 30 refreshes").toHaveLength(1)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1, serverArgs: ["--cluster-preferred-endpoint-type", "unknown-endpoint"] }))), 60_000)

  // One cluster for these: they move slots but leave it healthy.
  layer(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }), { excludeTestServices: true, timeout: "60 seconds" })(
    "hostPortRemap through port forwarders",
    (it) => {
      it.effect("as a table: only forwarder addresses are used, MOVED included", () =>
        throughForwarders(
          (fw) => Array.from(fw, ([real, f]) => ({ from: { port: real }, to: { port: f.port } })),
          "127.0.0.1",
          "keyslot-remap-table"
        ))

      it.effect("as a function (rewriting the host too): only forwarder addresses are used, MOVED included", () =>
        throughForwarders(
          (fw) => (e) => {
            const f = fw.get(e.port)
            return f === undefined ? e : { host: "localhost", port: f.port }
          },
          "localhost",
          "keyslot-remap-function"
        ))

      it.effect("a port-shifting remap function (NAT style): the reachable seeds given are used as given", () =>
        Effect.gen(function*() {
          const { forwarders, fwdPorts, remap } = yield* behindNat
          const result = yield* Effect.result(Cluster.client({
            startupNodes: forwarders.map((f) => ({ host: f.host, port: f.port })),
            hostPortRemap: remap,
            connectTimeout: "2 seconds"
          }))
          if (Result.isFailure(result)) {
            return expect.fail(`the client did not start from the reachable seeds: ${result.failure._tag}: ${result.failure.message}`)
          }
          const redis = result.success
          expect(Array.from(redis.topology.current().nodes.values(), (n) => n.port).sort()).toEqual(fwdPorts)
          yield* roundTrip(redis, "nat:")
        }))

      it.effect("a port-shifting remap function (NAT style): executeOn a node of the client's map reaches it", () =>
        Effect.gen(function*() {
          const { fwdPorts, nodes, remap } = yield* behindNat
          // Seeds as announced (so the remap is needed for them too): this much works today.
          const redis = yield* Cluster.client({ startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })), hostPortRemap: remap, connectTimeout: "2 seconds" })
          expect(Array.from(redis.topology.current().nodes.values(), (n) => n.port).sort()).toEqual(fwdPorts)
          yield* roundTrip(redis, "nat2:")
          // The map's addresses are already remapped: executeOn must not remap them again.
          for (const node of redis.topology.current().nodes.values()) {
            const pong = yield* Effect.result(redis.executeOn(node, Command.ping()))
            expect(Result.isSuccess(pong) ? pong.success : `${pong.failure._tag}: ${pong.failure.message}`, `executeOn ${node.address}`).toBe("PONG")
          }
        }))
    }
  )

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

    it.live("true: the startup node killed after discovery; refreshes work from the known nodes and never ask the seed", () =>
      Effect.gen(function*() {
        const seed = yield* seedKilled(true)
        expect(seed).toEqual({ asksToSeed: 0, bytesToSeed: 0 })
      }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)

    it.live("false: the dead seed is asked first, and refreshes still succeed from the known nodes", () =>
      Effect.gen(function*() {
        const seed = yield* seedKilled(false)
        expect(seed.asksToSeed).toBeGreaterThan(0)
      }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 60_000)
  })
})
