/**
 * What a user of keyslot observes when the cluster redirects, refuses, drops or stalls, against
 * the in-memory `ScriptedCluster` of `@keyslot/test-utils` (no sockets, no redis-server): every
 * test runs in milliseconds, and each node's command log shows what was sent where.
 */
import { describe, expect, it } from "@effect/vitest"
import { ClusterError, Command, Connector, RedisCluster } from "@keyslot/core"
import { ScriptedCluster } from "@keyslot/test-utils"
import { Cause, Effect, Exit, Layer, Metric, Option, Schedule } from "effect"

/** A few quick retries: every test must finish well under a second. */
const quick = (times: number) => Schedule.max([Schedule.spaced("5 millis"), Schedule.recurs(times)])

const COMMAND_TIMEOUT = 250

const setup = (
  overrides: Partial<RedisCluster.RedisClusterConfig> = {},
  options: ScriptedCluster.Options = {}
) =>
  Effect.gen(function*() {
    const cluster = yield* ScriptedCluster.make({
      masters: 3,
      ...options,
      refuse: (endpoint, reason) => new ClusterError.ConnectionError({ host: endpoint.host, port: endpoint.port, reason })
    })
    const redis = yield* RedisCluster.make({
      startupNodes: cluster.startupNodes,
      connectTimeout: 200,
      commandTimeout: COMMAND_TIMEOUT,
      minRefreshInterval: 0,
      topologyRefreshInterval: 0,
      retry: { tryAgain: quick(5), clusterDown: quick(2), loading: quick(5), reconnect: quick(5) },
      ...overrides
    }).pipe(Effect.provide(Layer.succeed(Connector.Connector, cluster.connector)))
    // Discovery is done: the logs show only what the tests cause.
    cluster.clearLog()
    return { cluster, redis }
  })

const failureOf = <A>(exit: Exit.Exit<A, ClusterError.RedisClusterError>): ClusterError.RedisClusterError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const [reason, ...rest] = exit.cause.reasons
  if (reason === undefined || rest.length > 0 || !Cause.isFailReason(reason)) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

/** The names of the commands a node received, without the ones no test is about. */
const names = (node: ScriptedCluster.ScriptedNode) =>
  node.log.map((e) => e.name).filter((n) => n !== "CLUSTER" && n !== "PING" && n !== "HELLO" && n !== "READONLY")

describe("redirects", () => {
  it.live("a GET after MOVED reaches the new owner, and later GETs go straight there", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "v")
      cluster.moveSlots(cluster.slotOf(key), b!)
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(a!.received("GET")).toEqual([["GET", key]])
      expect(b!.received("GET")).toEqual([["GET", key]])
      cluster.clearLog()
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(a!.received("GET")).toEqual([])
      expect(b!.received("GET")).toHaveLength(2)
      expect(redis.topology.current().slots[cluster.slotOf(key)]?.master.port).toBe(b!.port)
    }))

  it.live("ASK is followed with ASKING once, and does not change the slot map", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      const slot = cluster.slotOf(key)
      cluster.set(key, "v")
      cluster.migrate(slot, b!).moveKey(key)
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(names(a!)).toEqual(["GET"])
      expect(names(b!)).toEqual(["ASKING", "GET"])
      // ASKING and the command went back to back on one connection.
      const [asking, get] = b!.log.filter((e) => e.name === "ASKING" || e.name === "GET")
      expect(asking!.connection).toBe(get!.connection)
      expect(b!.log.indexOf(get!)).toBe(b!.log.indexOf(asking!) + 1)
      expect(redis.topology.current().slots[slot]?.master.port).toBe(a!.port)
      // The next GET asks the old owner first again.
      cluster.clearLog()
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(names(a!)).toEqual(["GET"])
      expect(names(b!)).toEqual(["ASKING", "GET"])
    }))

  it.live("a pipeline whose parts get MOVED for one slot reruns only those parts", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a, b, c] = cluster.masters
      const k1 = cluster.keyFor(a!, "p1")
      const k2 = cluster.keyFor(b!, "p2")
      const k3 = cluster.keyFor(c!, "p3")
      const k1b = `{${k1}}b`
      for (const k of [k1, k1b, k2, k3]) cluster.set(k, `value of ${k}`)
      cluster.moveSlots(cluster.slotOf(k1), b!)
      const results = yield* redis.pipeline([Command.get(k1), Command.get(k2), Command.get(k1b), Command.get(k3)])
      expect(results).toEqual([k1, k2, k1b, k3].map((k) => Option.some(`value of ${k}`)))
      expect(a!.received("GET")).toEqual([["GET", k1], ["GET", k1b]])
      expect(b!.received("GET")).toEqual([["GET", k2], ["GET", k1], ["GET", k1b]])
      expect(c!.received("GET")).toEqual([["GET", k3]])
    }))

  it.live("a transaction on a migrating slot is sent again to the target after ASK, with ASKING before MULTI", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "1")
      cluster.migrate(cluster.slotOf(key), b!).moveKey(key)
      expect(yield* redis.transaction([Command.incr(key), Command.get(key)])).toEqual([2, Option.some("2")])
      expect(names(b!)).toEqual(["ASKING", "MULTI", "INCR", "GET", "EXEC"])
      expect(cluster.get(key)).toBe("2")
    }))
})

describe("transient cluster states", () => {
  it.live("TRYAGAIN is retried and succeeds (single commands and split MGET parts)", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      const [k1, k2] = [`{${key}}1`, `{${key}}2`]
      cluster.set(k1, "1")
      cluster.set(k2, "2")
      a!.fail("TRYAGAIN", { command: "GET", times: 2 })
      expect(yield* redis.get(k1)).toEqual(Option.some("1"))
      expect(a!.received("GET")).toHaveLength(3)
      a!.fail("TRYAGAIN", { command: "MGET", times: 2 })
      expect(yield* redis.mget([k1, k2])).toEqual([Option.some("1"), Option.some("2")])
      expect(a!.received("MGET")).toHaveLength(3)
    }))

  it.live("LOADING is retried until the node has loaded", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.fail("LOADING", { times: 3 })
      expect(yield* redis.incr(key)).toBe(1)
      expect(a!.received("INCR")).toHaveLength(4)
      expect(cluster.get(key)).toBe("1")
    }))

  it.live("CLUSTERDOWN beyond the retry budget fails with ClusterDownError", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.fail("CLUSTERDOWN", { command: "GET", times: Infinity })
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(redis.get(key)))
      expect(error._tag).toBe("ClusterDownError")
      expect(error).toMatchObject({ host: a!.host, port: a!.port, command: "GET" })
      // the first try and the schedule's two retries
      expect(a!.received("GET")).toHaveLength(3)
      expect(Date.now() - start).toBeLessThan(COMMAND_TIMEOUT)
    }))

  it.live("a slot nobody serves any more: SlotNotCoveredError once a refresh confirmed it", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      const slot = cluster.slotOf(key)
      cluster.unassignSlots(slot)
      const error = failureOf(yield* Effect.exit(redis.get(key)))
      expect(error).toMatchObject({ _tag: "SlotNotCoveredError", slot, command: "GET" })
      expect(a!.received("GET")).toEqual([["GET", key]])
      expect(redis.topology.current().slots[slot]).toBe(undefined)
    }))

  it.live("READONLY from a demoted master: the map is refreshed and the write reaches the new master", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup({}, { replicasPerMaster: 1 })
      const [a] = cluster.masters
      const replica = a!.replicas[0]!
      const key = cluster.keyFor(a!)
      cluster.failover(replica)
      a!.fail("READONLY", { command: "SET" })
      expect(yield* redis.set(key, "v")).toEqual(Option.some("OK"))
      expect(a!.received("SET")).toHaveLength(1)
      expect(replica.received("SET")).toEqual([["SET", key, "v"]])
      expect(cluster.get(key)).toBe("v")
    }))

  // One classifier decides for every path: the pipeline used to refresh as "connection-lost" here.
  it.live("READONLY is handled alike in a single command and in a pipeline: a refresh for reason readonly, then the master", () =>
    Effect.gen(function*() {
      const refreshes = (reason: string) =>
        Effect.map(Metric.value(Metric.withAttributes(RedisCluster.metrics.refreshes, { reason, outcome: "ok" })), (s) => s.count)
      for (const via of ["command", "pipeline"] as const) {
        const { cluster, redis } = yield* setup({ metrics: true }, { replicasPerMaster: 1 })
        const [a] = cluster.masters
        const replica = a!.replicas[0]!
        const key = cluster.keyFor(a!)
        const before = { readonly: yield* refreshes("readonly"), lost: yield* refreshes("connection-lost") }
        cluster.failover(replica)
        a!.fail("READONLY", { command: "SET" })
        if (via === "command") expect(yield* redis.set(key, via)).toEqual(Option.some("OK"))
        else expect(yield* redis.pipeline([Command.set(key, via)])).toEqual([Option.some("OK")])
        expect(replica.received("SET"), via).toEqual([["SET", key, via]])
        expect(yield* refreshes("readonly"), via).toBe(before.readonly + 1)
        expect(yield* refreshes("connection-lost"), via).toBe(before.lost)
      }
    }))
})

describe("lost and stalled connections", () => {
  it.live("a write whose connection drops after the node received it fails with ConnectionError{written: true} and is not sent again", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.drop({ command: "INCR" })
      const error = failureOf(yield* Effect.exit(redis.incr(key)))
      expect(error._tag).toBe("ConnectionError")
      expect(error).toMatchObject({ written: true, host: a!.host, port: a!.port, command: "INCR" })
      // Give a wrong resend every chance to happen.
      yield* Effect.sleep("30 millis")
      expect(cluster.count("INCR")).toBe(1)
      // It ran once (its reply was lost).
      expect(cluster.get(key)).toBe("1")
      // The client reconnects for the next command.
      expect(yield* redis.incr(key)).toBe(2)
    }))

  it.live("a read in the same situation is sent again and succeeds", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "v")
      a!.drop({ command: "GET" })
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(a!.received("GET")).toHaveLength(2)
      expect(new Set(a!.log.filter((e) => e.name === "GET").map((e) => e.connection)).size).toBe(2)
    }))

  it.live("a stalled node yields TimeoutError within the commandTimeout; the client recovers after release", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "v")
      a!.stall()
      const start = Date.now()
      const error = failureOf(yield* Effect.exit(redis.get(key)))
      const elapsed = Date.now() - start
      expect(error._tag).toBe("TimeoutError")
      expect(error).toMatchObject({ host: a!.host, port: a!.port, command: "GET" })
      expect(elapsed).toBeGreaterThanOrEqual(COMMAND_TIMEOUT - 10)
      expect(elapsed).toBeLessThan(COMMAND_TIMEOUT + 150)
      expect(a!.received("GET")).toHaveLength(1)
      a!.release()
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
    }))
})

describe("replicas", () => {
  it.live("readFrom: replica sends READONLY, reads to the replica, writes to the master", () =>
    Effect.gen(function*() {
      const { cluster, redis } = yield* setup({ readFrom: "replica" }, { replicasPerMaster: 1 })
      const [a] = cluster.masters
      const replica = a!.replicas[0]!
      const key = cluster.keyFor(a!)
      expect(yield* redis.set(key, "v")).toEqual(Option.some("OK"))
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(a!.received("SET")).toHaveLength(1)
      expect(a!.received("GET")).toHaveLength(0)
      expect(replica.received("GET")).toEqual([["GET", key]])
      expect(replica.received("SET")).toHaveLength(0)
    }))
})
