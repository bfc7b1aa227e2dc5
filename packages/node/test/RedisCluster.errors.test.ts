import { describe, expect, it } from "@effect/vitest"
import type { ClusterError } from "@keyslot/core"
import { RedisCluster, Slot } from "@keyslot/core"
import { NodeConnector } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Cause, Effect, Exit, Fiber, Option, Result, Schedule, Scope } from "effect"
import * as FakeClusterNode from "./helpers/FakeClusterNode.js"
import * as ScriptedServer from "./helpers/ScriptedServer.js"

const make = (config: RedisCluster.RedisClusterConfig) => RedisCluster.make(config).pipe(Effect.provide(NodeConnector.layer))

const failureOf = <A>(exit: Exit.Exit<A, ClusterError.RedisClusterError>): ClusterError.RedisClusterError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  // v4 causes are flat: a typed failure is a cause whose only reason is a Fail.
  const [reason, ...rest] = exit.cause.reasons
  if (reason === undefined || rest.length > 0 || !Cause.isFailReason(reason)) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

/** A port nobody listens on. */
const deadPort = Effect.scoped(Effect.map(ScriptedServer.make(() => {}), (s) => s.port))

const connectedClients = (fixture: RedisClusterFixture.ClusterFixture) =>
  Effect.gen(function*() {
    const nodes = yield* fixture.nodes
    let total = 0
    for (const n of nodes) {
      const info = String(yield* fixture.command(n.port, "INFO", "clients"))
      total += Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0)
    }
    return total
  })

describe("RedisCluster startup", () => {
  it.live("all startup nodes dead: a typed ConnectionError, fast", () =>
    Effect.gen(function*() {
      const a = yield* deadPort
      const b = yield* deadPort
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(make({ startupNodes: [{ host: "127.0.0.1", port: a }, { host: "127.0.0.1", port: b }], connectTimeout: "1 second" })))
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("ECONNREFUSED")
      expect(Date.now() - start).toBeLessThan(1_000)
    }))

  it.live("a startup node that accepts but never answers: TimeoutError within connectTimeout", () =>
    Effect.gen(function*() {
      const silent = yield* ScriptedServer.make(() => {})
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(make({ startupNodes: [{ host: "127.0.0.1", port: silent.port }], connectTimeout: "300 millis" })))
      expect(error._tag).toBe("TimeoutError")
      expect(Date.now() - start).toBeLessThan(1_500)
    }))

  it.live("an invalid option fails with ConfigError naming the field", () =>
    Effect.gen(function*() {
      const error = failureOf(yield* Effect.exit(make({ startupNodes: [] })))
      expect(error._tag).toBe("ConfigError")
      expect((error as ClusterError.ConfigError).field).toBe("startupNodes")
      const db = failureOf(yield* Effect.exit(make({ startupNodes: [{ host: "127.0.0.1", port: 7000 }], db: 2 })))
      expect((db as ClusterError.ConfigError).field).toBe("db")
    }))
})

describe("RedisCluster against a misbehaving node", () => {
  it.live("garbage in a reply is a ProtocolError for that command, never a hang", () =>
    Effect.gen(function*() {
      const node = yield* FakeClusterNode.make((args) => args[0] === "GET" ? "&&& not resp\r\n" : "+OK\r\n")
      const redis = yield* make({ startupNodes: [{ host: "127.0.0.1", port: node.port }], commandTimeout: "2 seconds" })
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(redis.get("k")))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("GET")
      expect(Date.now() - start).toBeLessThan(1_000)
      // The client reconnects for the next command.
      expect(yield* redis.set("k", "v")).toEqual(Option.some("OK"))
    }))

  it.live("a malformed CLUSTER SHARDS reply fails discovery with a ProtocolError naming it", () =>
    Effect.gen(function*() {
      const node = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send("%1\r\n+server\r\n+redis\r\n")
        if (args[1] === "SHARDS") return client.send(":42\r\n")
        client.send("$0\r\n\r\n")
      })
      const error = failureOf(yield* Effect.exit(make({ startupNodes: [{ host: "127.0.0.1", port: node.port }] })))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("CLUSTER SHARDS")
    }))

  it.live("a node that redirects forever: RedirectLimitError after maxRedirects hops", () =>
    Effect.gen(function*() {
      let gets = 0
      const node = yield* FakeClusterNode.make((args, port) => {
        if (args[0] !== "GET") return "+OK\r\n"
        gets++
        return `-MOVED ${Slot.slot(args[1]!)} 127.0.0.1:${port}\r\n`
      })
      const redis = yield* make({ startupNodes: [{ host: "127.0.0.1", port: node.port }], maxRedirects: 5 })
      const error = failureOf(yield* Effect.exit(redis.get("loop")))
      expect(error._tag).toBe("RedirectLimitError")
      expect((error as ClusterError.RedirectLimitError).redirects).toBe(5)
      expect(gets).toBe(6)
    }))
})

describe("RedisCluster under transient cluster states", () => {
  it.live("CLUSTERDOWN is retried clusterDownRetryAttempts times, then typed; with a longer schedule it rides out the outage", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* make({ startupNodes: fixture.startupNodes, commandTimeout: "20 seconds" })
      const patient = yield* make({
        startupNodes: fixture.startupNodes,
        commandTimeout: "20 seconds",
        retry: { clusterDown: Schedule.max([Schedule.spaced("100 millis"), Schedule.recurs(200)]) }
      })
      const [victim, survivor] = yield* fixture.masters
      const key = Arr.range(0, 10_000).map((i) => `cd:${i}`).find((k) =>
        survivor!.slots.some(([a, b]) => Slot.slot(k) >= a && Slot.slot(k) <= b)
      )!
      yield* redis.set(key, "v")
      yield* fixture.killNode(victim!.port)
      // Wait until the survivors declare the cluster down.
      while (!String(yield* fixture.command(survivor!.port, "CLUSTER", "INFO")).includes("cluster_state:fail")) {
        yield* Effect.sleep("50 millis")
      }
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(redis.get(key)))
      expect(error._tag).toBe("ClusterDownError")
      // Three backoff retries (100 ms base), not an instant failure and not the whole timeout.
      expect(Date.now() - start).toBeGreaterThan(150)
      expect(Date.now() - start).toBeLessThan(10_000)
      const waiting = yield* Effect.forkChild(patient.get(key))
      yield* Effect.sleep("300 millis")
      yield* fixture.restartNode(victim!.port, { waitHealthy: false })
      expect(yield* Fiber.join(waiting)).toEqual(Option.some("v"))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)

  it.live("LOADING is retried until the node has loaded; a short schedule gives LoadingError", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* make({ startupNodes: fixture.startupNodes, commandTimeout: "20 seconds" })
      const impatient = yield* make({ startupNodes: fixture.startupNodes, retry: { loading: Schedule.recurs(1) } })
      const master = (yield* fixture.masters)[0]!
      const key = Arr.range(0, 10_000).map((i) => `ld:${i}`).find((k) =>
        master.slots.some(([a, b]) => Slot.slot(k) >= a && Slot.slot(k) <= b)
      )!
      yield* redis.set(key, "kept")
      yield* fixture.command(master.port, "DEBUG", "POPULATE", "30000", "pad")
      yield* fixture.command(master.port, "CONFIG", "SET", "key-load-delay", "50")
      // Serve clients (with -LOADING) every KiB loaded, not every 2 MiB.
      yield* fixture.command(master.port, "CONFIG", "SET", "loading-process-events-interval-bytes", "1024")
      const probe = yield* fixture.connect(master.port)
      const admin = yield* fixture.connect(master.port)
      const reload = yield* Effect.forkChild(Effect.result(admin.command("DEBUG", "RELOAD")))
      // Until the node answers LOADING.
      while (true) {
        const r = yield* Effect.result(probe.command("GET", key))
        if (Result.isFailure(r) && r.failure.message.includes("LOADING")) break
        yield* Effect.sleep("10 millis")
      }
      const short = failureOf(yield* Effect.exit(impatient.get(key)))
      expect(short._tag).toBe("LoadingError")
      expect(yield* redis.get(key)).toEqual(Option.some("kept"))
      yield* Fiber.join(reload)
      yield* fixture.command(master.port, "CONFIG", "SET", "key-load-delay", "0")
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)

  it.live("a paused master: its commands end with TimeoutError within commandTimeout; others are unaffected", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* make({ startupNodes: fixture.startupNodes, commandTimeout: "400 millis" })
      const [paused, other] = yield* fixture.masters
      const owned = (m: RedisClusterFixture.ClusterNodeInfo, prefix: string) =>
        Arr.range(0, 10_000).map((i) => `${prefix}:${i}`).find((k) => m.slots.some(([a, b]) => Slot.slot(k) >= a && Slot.slot(k) <= b))!
      const stuckKey = owned(paused!, "pz")
      const freeKey = owned(other!, "pz")
      yield* redis.set(stuckKey, "1")
      yield* fixture.pauseNode(paused!.port)
      const start = Date.now()
      const stuck = yield* Effect.forkChild(Effect.exit(redis.get(stuckKey)))
      expect(yield* redis.set(freeKey, "2")).toEqual(Option.some("OK"))
      const error = failureOf(yield* Fiber.join(stuck))
      expect(error._tag).toBe("TimeoutError")
      expect(Date.now() - start).toBeLessThan(900)
      yield* fixture.resumeNode(paused!.port)
      expect(yield* redis.get(stuckKey)).toEqual(Option.some("1"))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)

  it.live("a node whose connection cannot be opened in time: its commands end within commandTimeout, not connectTimeout", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // The master is reached through a port that accepts and never answers the handshake.
      const silent = yield* ScriptedServer.make(() => {})
      const [stuck, other] = yield* fixture.masters
      const redis = yield* make({
        startupNodes: fixture.startupNodes,
        commandTimeout: "400 millis",
        connectTimeout: "10 seconds",
        hostPortRemap: (e) => e.port === stuck!.port ? { host: e.host, port: silent.port } : e
      })
      const owned = (m: RedisClusterFixture.ClusterNodeInfo, prefix: string) =>
        Arr.range(0, 10_000).map((i) => `${prefix}:${i}`).find((k) => m.slots.some(([a, b]) => Slot.slot(k) >= a && Slot.slot(k) <= b))!
      const runs: ReadonlyArray<(key: string) => Effect.Effect<unknown, ClusterError.RedisClusterError>> = [
        (k) => redis.get(k),
        (k) => redis.mget([k, owned(other!, "cz")])
      ]
      for (const run of runs) {
        const start = Date.now()
        const error = failureOf(yield* Effect.exit(run(owned(stuck!, "cz"))))
        expect(error._tag).toBe("TimeoutError")
        expect(Date.now() - start).toBeLessThan(1_500)
      }
      expect(yield* redis.set(owned(other!, "cz"), "v")).toEqual(Option.some("OK"))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)
})

describe("RedisCluster resource safety", () => {
  it.live("1000 open/close cycles leave no socket, timer or server connection behind", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const config: RedisCluster.RedisClusterConfig = { startupNodes: fixture.startupNodes, topologyRefreshInterval: "50 millis" }
      // One cycle first, so lazily created module state is not counted as a leak.
      yield* Effect.scoped(Effect.flatMap(make(config), (r) => r.get("cycle")))
      const handlesBefore = process.getActiveResourcesInfo().length
      const clientsBefore = yield* connectedClients(fixture)
      for (let i = 0; i < 1000; i++) {
        const scope = yield* Scope.make()
        const redis = yield* make(config).pipe(Scope.provide(scope))
        yield* redis.set(`cycle:${i % 50}`, String(i))
        yield* Scope.close(scope, Exit.void)
      }
      // Sockets closed by us are gone once the event loop has seen them close.
      let handlesAfter = process.getActiveResourcesInfo().length
      for (let i = 0; i < 50 && handlesAfter > handlesBefore; i++) {
        yield* Effect.sleep("20 millis")
        handlesAfter = process.getActiveResourcesInfo().length
      }
      expect(handlesAfter).toBeLessThanOrEqual(handlesBefore)
      let clientsAfter = yield* connectedClients(fixture)
      for (let i = 0; i < 50 && clientsAfter > clientsBefore; i++) {
        yield* Effect.sleep("20 millis")
        clientsAfter = yield* connectedClients(fixture)
      }
      expect(clientsAfter).toBeLessThanOrEqual(clientsBefore)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 120_000)
})

describe("reply limits (issue #12, item 16)", () => {
  it.live("a GET of a value above maxReplyBulkBytes fails with a ProtocolError naming the option; the client goes on with a new connection", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* make({ startupNodes: fixture.startupNodes, maxReplyBulkBytes: 4096, commandTimeout: "5 seconds" })
      // written through a client with the default limit: the small client cannot read it back
      const writer = yield* make({ startupNodes: fixture.startupNodes })
      yield* writer.set("limits:big", "x".repeat(64 * 1024))
      yield* redis.set("limits:small", "fits")
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(redis.get("limits:big")))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("maxReplyBulkBytes")
      expect(error.message).toContain("GET")
      expect(Date.now() - start).toBeLessThan(2_000)
      // the connection that saw the oversized reply is replaced: small values keep working
      expect(yield* redis.get("limits:small")).toEqual(Option.some("fits"))
      expect(yield* redis.set("limits:small", "again")).toEqual(Option.some("OK"))
      expect(yield* redis.get("limits:small")).toEqual(Option.some("again"))
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)

  it.live("an aggregate reply above maxReplyElements fails with a ProtocolError naming the option", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* make({ startupNodes: fixture.startupNodes, maxReplyElements: 100 })
      // 101 elements, one more than the limit
      yield* redis.rpush("limits:list", ...Arr.range(1, 101).map(String))
      const error = failureOf(yield* Effect.exit(redis.lrange("limits:list", 0, -1)))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("maxReplyElements")
      expect(yield* redis.lrange("limits:list", 0, 9)).toHaveLength(10)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 }))), 60_000)
})
