/**
 * The dedicated-connection pool against a real cluster (issue #12): `blockingPoolTimeout: 0`
 * waits for a connection without a limit, as documented, and a `watch` never leaves a WATCH on a
 * connection that goes back to the pool. One connection per node (`maxBlockingConnectionsPerNode:
 * 1`) makes every later caller reuse it.
 */
import { expect, layer } from "@effect/vitest"
import { Command } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect, Exit, Fiber, Option, Result, Schedule } from "effect"
import { client } from "./helpers/cluster.js"
import { waitBlocked } from "./helpers/commandEnv.js"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 })

const oneConnectionPerNode = Effect.gen(function*() {
  const fixture = yield* RedisClusterFixture.RedisClusterFixture
  return yield* client({ startupNodes: fixture.startupNodes, commandTimeout: "5 seconds", maxBlockingConnectionsPerNode: 1, blockingPoolTimeout: 0 })
})

layer(Fixture, { timeout: "60 seconds", excludeTestServices: true })("blocking pool", (it) => {
  it.effect("blockingPoolTimeout 0: a second BLPOP waits for the node's only connection, then succeeds", () =>
    Effect.gen(function*() {
      const redis = yield* oneConnectionPerNode
      yield* redis.rpush("{bp}ready", "x")
      const started = Date.now()
      const first = yield* Effect.forkChild(redis.blpop("{bp}empty", 0.5))
      // The first BLPOP holds the connection (blocked on the server) before the second asks.
      yield* waitBlocked("{bp}empty", 1)
      const second = yield* redis.blpop("{bp}ready", 1)
      expect(second).toEqual(Option.some({ key: "{bp}ready", element: "x" }))
      // It ran after the first one gave its connection back, at the end of its 0.5 s block.
      expect(Date.now() - started).toBeGreaterThanOrEqual(400)
      expect(yield* Fiber.join(first)).toEqual(Option.none())
    }).pipe(Effect.scoped))
})

layer(Fixture, { timeout: "60 seconds", excludeTestServices: true })("watch cleans its connection", (it) => {
  /** A watch on another key of the same slot, reusing the connection: commits on its first run. */
  const cleanWatch = (redis: Effect.Success<typeof oneConnectionPerNode>, key: string) =>
    Effect.gen(function*() {
      let runs = 0
      const result = yield* redis.watch([key], (tx) =>
        Effect.suspend(() => {
          runs++
          return tx.transaction([Command.set(key, "committed")])
        }), Schedule.recurs(0))
      expect(result).toEqual([Option.some("OK")])
      expect(runs).toBe(1)
      expect(yield* redis.get(key)).toEqual(Option.some("committed"))
    })

  it.effect("a body that fails after the watched key changed leaves no WATCH for the next watch", () =>
    Effect.gen(function*() {
      const redis = yield* oneConnectionPerNode
      yield* redis.set("{wc}a", "1")
      const failed = yield* Effect.result(redis.watch(["{wc}a"], (tx) =>
        Effect.gen(function*() {
          yield* tx.execute(Command.get("{wc}a"))
          // Someone else changes the watched key; then the body gives up.
          yield* redis.set("{wc}a", "2")
          return yield* Effect.fail("gave up" as const)
        })))
      expect(Result.isFailure(failed) && failed.failure).toBe("gave up")
      yield* cleanWatch(redis, "{wc}b")
    }).pipe(Effect.scoped))

  it.effect("a body that dies, is interrupted, or never calls transaction leaves no WATCH either", () =>
    Effect.gen(function*() {
      const redis = yield* oneConnectionPerNode
      yield* redis.set("{wd}a", "1")
      const changeThen = <A, E>(then: Effect.Effect<A, E>) =>
        redis.watch(["{wd}a"], (tx) => Effect.andThen(tx.execute(Command.get("{wd}a")), Effect.andThen(redis.incr("{wd}a"), then)))
      // A defect.
      const died = yield* Effect.exit(changeThen(Effect.die("boom")))
      expect(Exit.isFailure(died)).toBe(true)
      yield* cleanWatch(redis, "{wd}b")
      // Interrupted by its caller.
      const parked = yield* Effect.forkChild(changeThen(Effect.never))
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(parked)
      yield* cleanWatch(redis, "{wd}c")
      // Succeeds without a transaction.
      expect(yield* changeThen(Effect.succeed("read only"))).toBe("read only")
      yield* cleanWatch(redis, "{wd}d")
    }).pipe(Effect.scoped))
})
