/**
 * The blocking-connection pool on its own, over the in-memory `ScriptedCluster`: what it keeps
 * per node, and how long a caller waits for a turn. Each node's `connections` shows what is
 * really open.
 */
import { describe, expect, it } from "@effect/vitest"
import { ClusterError, Connector } from "@keyslot/core"
import { ScriptedCluster } from "@keyslot/test-utils"
import { Deferred, Effect, Fiber, Layer } from "effect"
import * as Blocking from "../../src/internal/engine/blocking.js"
import { addressOf } from "../../src/internal/engine/pool.js"

const setup = (max: number, waitMillis: number) =>
  Effect.gen(function*() {
    const cluster = yield* ScriptedCluster.make({
      masters: 1,
      refuse: (endpoint, reason) => new ClusterError.ConnectionError({ host: endpoint.host, port: endpoint.port, reason })
    })
    const pool = yield* Blocking.make({ connectTimeout: 200, commandTimeout: undefined }, max, waitMillis).pipe(
      Effect.provide(Layer.succeed(Connector.Connector, cluster.connector))
    )
    const node = cluster.masters[0]!
    return { pool, node, address: addressOf(node) }
  })

const ping = (pool: Blocking.BlockingPool, node: Connector.Endpoint) =>
  pool.withConnection(node, "PING", (c) => c.send(["PING"]))

/** Yields to the event loop until `check` holds (the scripted sockets answer on setImmediate). */
const until = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && !check(); i++) yield* Effect.sleep("5 millis")
    expect(check()).toBe(true)
  })

describe("blocking pool", () => {
  it.live("retire closes a node's idle connections and forgets the node", () =>
    Effect.gen(function*() {
      const { address, node, pool } = yield* setup(3, 1000)
      // Three connections at once, all idle afterwards.
      yield* Effect.all([ping(pool, node), ping(pool, node), ping(pool, node)], { concurrency: "unbounded" })
      expect(pool.sizes().get(address)).toBe(3)
      expect(node.connections).toBe(3)
      yield* pool.retire(address)
      expect(pool.sizes().has(address)).toBe(false)
      yield* until(() => node.connections === 0)
      // Retiring twice, or an address the pool never saw, is harmless.
      yield* pool.retire(address)
      yield* pool.retire("127.0.0.1:1")
      // Should the address come back, it starts from nothing.
      yield* ping(pool, node)
      expect(pool.sizes().get(address)).toBe(1)
    }))

  it.live("a connection in use when its node is retired closes once released, not before", () =>
    Effect.gen(function*() {
      const { address, node, pool } = yield* setup(2, 1000)
      const holding = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      let seen: Connector.Endpoint | undefined
      const user = yield* Effect.forkChild(pool.withConnection(node, "BLPOP", (c) =>
        Effect.gen(function*() {
          seen = c.endpoint
          yield* Deferred.succeed(holding, undefined)
          yield* Deferred.await(release)
          // Still open after retire: a running command is never cut.
          expect(c.isOpen()).toBe(true)
          return yield* c.send(["PING"])
        })))
      yield* Deferred.await(holding)
      yield* pool.retire(address)
      expect(pool.sizes().has(address)).toBe(false)
      expect(node.connections).toBe(1)
      yield* Deferred.succeed(release, undefined)
      expect(yield* Fiber.join(user)).toBe("PONG")
      expect(seen?.port).toBe(node.port)
      yield* until(() => node.connections === 0)
      expect(pool.sizes().has(address)).toBe(false)
    }))

  it.live("a caller waiting for a turn on a retired node is woken and gets a fresh connection", () =>
    Effect.gen(function*() {
      const { address, node, pool } = yield* setup(1, 0)
      const holding = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const first = yield* Effect.forkChild(pool.withConnection(node, "BLPOP", () =>
        Effect.andThen(Deferred.succeed(holding, undefined), Deferred.await(release))))
      yield* Deferred.await(holding)
      const second = yield* Effect.forkChild(ping(pool, node))
      yield* Effect.sleep("20 millis")
      yield* pool.retire(address)
      expect(yield* Fiber.join(second)).toBe("PONG")
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(first)
      // The first one's connection closed on release; the second one's is the only one kept.
      yield* until(() => node.connections === 1)
      expect(pool.sizes().get(address)).toBe(1)
    }))

  it.live("a wait of 0 ms means no limit: the second caller waits for the first to finish", () =>
    Effect.gen(function*() {
      const { node, pool } = yield* setup(1, 0)
      const order: Array<string> = []
      const first = yield* Effect.forkChild(pool.withConnection(node, "BLPOP", (c) =>
        Effect.andThen(Effect.sleep("150 millis"), Effect.sync(() => order.push("first")).pipe(Effect.andThen(c.send(["PING"]))))))
      yield* Effect.sleep("20 millis")
      const started = performance.now()
      const second = yield* pool.withConnection(node, "BLPOP", (c) => Effect.andThen(Effect.sync(() => order.push("second")), c.send(["PING"])))
      expect(second).toBe("PONG")
      expect(order).toEqual(["first", "second"])
      expect(performance.now() - started).toBeGreaterThanOrEqual(100)
      yield* Fiber.join(first)
    }))
})
