/**
 * Defects of issue #12 in the engine's own paths, each shown first by a test that failed before its
 * fix: writes applied twice (errors inside EXEC, a script's own error reply), a closed client that
 * hangs its callers, discovery without a bound, and redirects followed to any address. Against the
 * in-memory `ScriptedCluster`, so every test runs in milliseconds.
 */
import { describe, expect, it } from "@effect/vitest"
import { ClusterError, Command, Connector, RedisCluster } from "@keyslot/core"
import { ScriptedCluster } from "@keyslot/test-utils"
import { Cause, Effect, Exit, Fiber, Layer, Option, Redacted, Schedule, Scope } from "effect"

const quick = (times: number) => Schedule.max([Schedule.spaced("5 millis"), Schedule.recurs(times)])

const config = (cluster: ScriptedCluster.ScriptedCluster<unknown>, overrides: Partial<RedisCluster.RedisClusterConfig> = {}): RedisCluster.RedisClusterConfig => ({
  startupNodes: cluster.startupNodes,
  connectTimeout: 200,
  commandTimeout: 500,
  minRefreshInterval: 0,
  topologyRefreshInterval: 0,
  retry: { tryAgain: quick(5), clusterDown: quick(5), loading: quick(5), reconnect: quick(5) },
  ...overrides
})

/** A cluster, and the addresses the client tried to reach that are not nodes of it. */
const scripted = (options: ScriptedCluster.Options = {}) =>
  Effect.gen(function*() {
    const strangers: Array<string> = []
    const cluster = yield* ScriptedCluster.make({
      masters: 3,
      ...options,
      refuse: (endpoint, reason) => {
        strangers.push(`${endpoint.host}:${endpoint.port}`)
        return new ClusterError.ConnectionError({ host: endpoint.host, port: endpoint.port, reason })
      }
    })
    return { cluster, strangers, layer: Layer.succeed(Connector.Connector, cluster.connector) }
  })

const failureOf = <A>(exit: Exit.Exit<A, ClusterError.RedisClusterError>): ClusterError.RedisClusterError => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  const [reason, ...rest] = exit.cause.reasons
  if (reason === undefined || rest.length > 0 || !Cause.isFailReason(reason)) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

describe("writes are never applied twice", () => {
  it.live("an error inside EXEC's reply is final: [INCR, a script answering TRYAGAIN] runs once", () =>
    Effect.gen(function*() {
      const { cluster, layer } = yield* scripted({ onEval: () => ScriptedCluster.error("TRYAGAIN the script said so") })
      const redis = yield* RedisCluster.make(config(cluster)).pipe(Effect.provide(layer))
      const key = "{tx}counter"
      const error = failureOf(yield* Effect.exit(redis.transaction([Command.incr(key), Command.eval("return 1", [key])])))
      expect(error._tag).toBe("TryAgainError")
      expect(error).toMatchObject({ index: 1 })
      expect(cluster.count("EXEC")).toBe(1)
      expect(cluster.get(key)).toBe("1")
    }))

  it.live("a script that writes and then returns TRYAGAIN (or CLUSTERDOWN, LOADING, MASTERDOWN) runs once", () =>
    Effect.gen(function*() {
      for (const code of ["TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN"]) {
        const { cluster, layer } = yield* scripted({
          onEval: (request) => {
            request.set(request.keys[0]!, String(Number(request.get(request.keys[0]!) ?? "0") + 1))
            return ScriptedCluster.error(`${code} from the script`)
          }
        })
        const redis = yield* RedisCluster.make(config(cluster)).pipe(Effect.provide(layer))
        const key = `{script}${code}`
        const error = failureOf(yield* Effect.exit(redis.execute(Command.eval("redis.call('incr', KEYS[1]) return redis.error_reply('x')", [key]))))
        expect(error._tag, code).not.toBe("ReplyError")
        expect(cluster.count("EVAL"), code).toBe(1)
        expect(cluster.get(key), code).toBe("1")
        // In a pipeline too.
        const [settled] = yield* redis.pipelineSettled([Command.eval("same", [key])])
        expect(settled!._tag, code).toBe("Failure")
        expect(cluster.count("EVAL"), code).toBe(2)
        expect(cluster.get(key), code).toBe("2")
      }
    }))
})

describe("pipelines and their deadline", () => {
  it.live("a part still to be redirected when the deadline passes fails with TimeoutError, never with the MOVED it got", () =>
    Effect.gen(function*() {
      const { cluster, layer } = yield* scripted()
      const redis = yield* RedisCluster.make(config(cluster, {
        commandTimeout: 200,
        retry: { tryAgain: Schedule.spaced("500 millis") }
      })).pipe(Effect.provide(layer))
      const [a, b, c] = cluster.masters
      const slow = cluster.keyFor(a!)
      const moved = cluster.keyFor(b!)
      cluster.set(moved, "v")
      a!.fail("TRYAGAIN", { command: "GET" })
      cluster.moveSlots(cluster.slotOf(moved), c!, { keys: true })
      const [first, second] = yield* redis.pipelineSettled([Command.get(slow), Command.get(moved)])
      expect(first).toMatchObject({ _tag: "Failure", failure: { _tag: "TryAgainError" } })
      expect(second).toMatchObject({ _tag: "Failure", failure: { _tag: "TimeoutError", command: "GET", timeoutMillis: 200 } })
    }))
})

describe("a closed client", () => {
  it.live("fails every command issued after close at once, even with commandTimeout 0", () =>
    Effect.gen(function*() {
      const { cluster, layer } = yield* scripted()
      const scope = yield* Scope.make()
      const redis = yield* RedisCluster.make(config(cluster, { commandTimeout: 0 })).pipe(Effect.provide(layer), Scope.provide(scope))
      const key = cluster.keyFor(cluster.masters[0]!)
      expect(yield* redis.set(key, "v")).toEqual(Option.some("OK"))
      yield* Scope.close(scope, Exit.void)
      const started = performance.now()
      const runs: ReadonlyArray<Effect.Effect<unknown, ClusterError.RedisClusterError>> = [
        redis.get(key),
        redis.pipeline([Command.get(key)]),
        redis.transaction([Command.incr(key)]),
        redis.executeOn(cluster.masters[0]!, Command.ping())
      ]
      for (const run of runs) {
        const error = failureOf(yield* Effect.exit(run))
        expect(error._tag).toBe("ClientClosedError")
        expect(error.message).toContain("closed")
      }
      expect(performance.now() - started).toBeLessThan(500)
    }))

  it.live("fails a command waiting to be retried when the client closes, at once", () =>
    Effect.gen(function*() {
      const { cluster, layer } = yield* scripted()
      const scope = yield* Scope.make()
      const redis = yield* RedisCluster.make(config(cluster, {
        commandTimeout: 0,
        retry: { clusterDown: Schedule.spaced("200 millis") }
      })).pipe(Effect.provide(layer), Scope.provide(scope))
      const key = cluster.keyFor(cluster.masters[0]!)
      cluster.masters[0]!.fail("CLUSTERDOWN", { command: "GET" })
      const refreshes = cluster.count("CLUSTER SHARDS")
      const fiber = yield* Effect.forkChild(Effect.exit(redis.get(key)))
      // Closed once CLUSTERDOWN came back (its refresh has started): the command is retrying.
      while (cluster.count("CLUSTER SHARDS") === refreshes) yield* Effect.sleep("1 millis")
      const closedAt = performance.now()
      yield* Scope.close(scope, Exit.void)
      const error = failureOf(yield* Fiber.join(fiber).pipe(Effect.timeout("2 seconds")))
      expect(error._tag).toBe("ClientClosedError")
      expect(performance.now() - closedAt).toBeLessThan(150)
    }))
})

describe("discovery", () => {
  it.live("is bounded even with commandTimeout 0: a node that stops answering CLUSTER commands does not hold refreshes", () =>
    Effect.gen(function*() {
      const { cluster, layer } = yield* scripted()
      const redis = yield* RedisCluster.make(config(cluster, { commandTimeout: 0, connectTimeout: 100 })).pipe(Effect.provide(layer))
      const stalls = cluster.nodes.map((n) => n.rule({ _tag: "Stall" }, { command: "CLUSTER" }))
      const stuck = yield* Effect.exit(redis.topology.refresh().pipe(Effect.timeout("3 seconds")))
      expect(Exit.isFailure(stuck)).toBe(true)
      expect(Exit.isFailure(stuck) && String(Cause.squash(stuck.cause))).toContain("CLUSTER SHARDS")
      for (const s of stalls) s.cancel()
      // A later refresh does not join the stuck one.
      const fresh = yield* redis.topology.refresh().pipe(Effect.timeout("3 seconds"))
      expect(fresh.uncovered).toBe(0)
    }))
})

describe("redirects go only to nodes of the cluster", () => {
  it.live("a MOVED to a stranger is not followed: no connection, no credentials, a typed error", () =>
    Effect.gen(function*() {
      const { cluster, layer, strangers } = yield* scripted({ password: "secret" })
      const redis = yield* RedisCluster.make(config(cluster, { password: Redacted.make("secret") })).pipe(Effect.provide(layer))
      const a = cluster.masters[0]!
      const key = cluster.keyFor(a)
      cluster.set(key, "v")
      const shardsBefore = cluster.count("CLUSTER SHARDS")
      a.fail(`MOVED ${cluster.slotOf(key)} 203.0.113.9:6379`, { command: "GET", times: 1 })
      const error = failureOf(yield* Effect.exit(redis.get(key)))
      expect(error).toMatchObject({ _tag: "UntrustedRedirectError", host: "203.0.113.9", port: 6379, command: "GET" })
      expect(strangers).toEqual([])
      // The map was asked first: the redirect might have named a node it had not caught up with.
      expect(cluster.count("CLUSTER SHARDS")).toBeGreaterThan(shardsBefore)
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
    }))

  it.live("validateRedirects: false follows any target, as redis-py-cluster does", () =>
    Effect.gen(function*() {
      const { cluster, layer, strangers } = yield* scripted()
      const redis = yield* RedisCluster.make(config(cluster, { validateRedirects: false })).pipe(Effect.provide(layer))
      const a = cluster.masters[0]!
      const key = cluster.keyFor(a)
      a.fail(`MOVED ${cluster.slotOf(key)} 203.0.113.9:6379`, { command: "GET", times: 1 })
      yield* Effect.exit(redis.get(key))
      expect(strangers).toContain("203.0.113.9:6379")
    }))

  it.live("a MOVED to a node the map has not caught up with yet is followed after a refresh", () =>
    Effect.gen(function*() {
      const { cluster, layer, strangers } = yield* scripted()
      const redis = yield* RedisCluster.make(config(cluster, { minRefreshInterval: "1 hour" })).pipe(Effect.provide(layer))
      const a = cluster.masters[0]!
      const key = cluster.keyFor(a)
      cluster.set(key, "v")
      const d = cluster.addNode()
      cluster.moveSlots(cluster.slotOf(key), d, { keys: true })
      expect(yield* redis.get(key)).toEqual(Option.some("v"))
      expect(d.received("GET")).toEqual([["GET", key]])
      expect(strangers).toEqual([])
    }))
})
