/**
 * A node that accepts connections and never answers, or never reads: what a client keeps in memory,
 * and whether it gives the connection up (issue 12, item 2).
 */
import { describe, expect, it } from "@effect/vitest"
import { Connector, NodeConnection, RedisCluster } from "@keyslot/core"
import { NodeConnector } from "@keyslot/node"
import { Array as Arr, Cause, Effect, Exit, Fiber, Layer, Scope } from "effect"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import { shardsReply } from "./helpers/FakeClusterNode.js"
import * as ScriptedServer from "./helpers/ScriptedServer.js"

const hello = "%1\r\n+server\r\n+redis\r\n"
const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`

/** A full collection: vitest starts its workers without `--expose-gc`, so it is exposed here. */
const collectGarbage = (): void => {
  V8.setFlagsFromString("--expose-gc")
  ;(Vm.runInNewContext("gc") as () => void)()
}

/**
 * The JS heap plus array buffers (a `Uint8Array`'s bytes live outside the heap), after full GCs: two,
 * a turn of the event loop apart, since array buffers' memory is released after their objects die.
 */
const memoryAfterGc = Effect.gen(function*() {
  collectGarbage()
  yield* Effect.sleep("20 millis")
  collectGarbage()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
})

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const [reason, ...rest] = exit.cause.reasons
  return reason !== undefined && rest.length === 0 && Cause.isFailReason(reason) ? reason.error : undefined
}

/** The tag of a typed failure, `"success"`, or `"untyped"` (a defect, an interruption). */
const outcome = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): string =>
  Exit.isSuccess(exit) ? "success" : errorOf(exit)?._tag ?? "untyped"

const tally = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)

describe("NodeConnection against a node that never answers", () => {
  it.live("60k timed-out 1 KB SETs in waves: bounded heap and pending count, typed failures, the connection recycled", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") client.send(hello)
      })
      const CAP = 2000
      const WAVES = 20
      const WAVE = 3000
      // What the pool does: a dead connection is dropped (its scope closed) and a new one opened.
      let scope = yield* Scope.make()
      const open = () =>
        NodeConnection.make({ host: "127.0.0.1", port: server.port, commandTimeout: "50 millis", maxPendingCommands: CAP }).pipe(
          Effect.provide(NodeConnector.layer),
          Scope.provide(scope)
        )
      let conn = yield* open()
      const before = yield* memoryAfterGc
      const outcomes = new Map<string, number>()
      let maxPending = 0
      for (let wave = 0; wave < WAVES; wave++) {
        if (!conn.isOpen()) {
          yield* Scope.close(scope, Exit.void)
          scope = yield* Scope.make()
          conn = yield* open()
        }
        const fibers = yield* Effect.forEach(Arr.range(0, WAVE - 1), (i) =>
          // A value of its own per command: one value shared by all would hide what each keeps.
          Effect.forkChild(Effect.exit(conn.send(["SET", `k${i}`, new Uint8Array(1024).fill(i & 255)]))))
        maxPending = Math.max(maxPending, conn.pending())
        for (const fiber of fibers) tally(outcomes, outcome(yield* Fiber.join(fiber)))
        maxPending = Math.max(maxPending, conn.pending())
        yield* Effect.sleep("10 millis")
      }
      // Measured with the last connection still open: what a stuck connection keeps.
      const grown = (yield* memoryAfterGc) - before
      yield* Scope.close(scope, Exit.void)
      expect(maxPending).toBeLessThanOrEqual(CAP)
      // Every command failed, each with a typed error.
      expect([...outcomes.keys()].filter((k) => !["TimeoutError", "QueueFullError", "ConnectionError"].includes(k))).toEqual([])
      expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(WAVES * WAVE)
      expect(outcomes.get("QueueFullError") ?? 0).toBeGreaterThan(0)
      // Closed after each wave of timeouts, and reopened: the server saw a connection per wave.
      expect(server.accepted()).toBeGreaterThanOrEqual(WAVES / 2)
      // Before: +84 MB (every 1 KB value kept until a reply that never came); now ~3 MB.
      expect(grown).toBeLessThan(16 * 1024 * 1024)
    }), { timeout: 20_000 })

  it.live("a peer that does not read: commands wait in the outbox until it drains, then all go out", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        client.send(args[0] === "HELLO" ? hello : "+OK\r\n")
      })
      // Counts what the connection hands to the socket, and any write it makes while told to wait.
      const log = { writes: 0, bytes: 0, full: 0, drains: 0, writesWhileFull: 0, waiting: false }
      const counting: Connector.ConnectorService = {
        connect: (endpoint, options) =>
          Effect.map(NodeConnector.make.connect(endpoint, options), (transport): Connector.Transport => ({
            ...transport,
            write: (chunk) => {
              if (log.waiting) log.writesWhileFull++
              log.writes++
              log.bytes += chunk.length
              const accepted = transport.write(chunk)
              if (accepted === false) {
                log.full++
                log.waiting = true
              }
              return accepted
            },
            onDrain: (callback) =>
              transport.onDrain?.(() => {
                log.drains++
                log.waiting = false
                callback()
              })
          }))
      }
      const conn = yield* NodeConnection.make({ host: "127.0.0.1", port: server.port }).pipe(
        Effect.provide(Layer.succeed(Connector.Connector, counting))
      )
      server.pause()
      const N = 30_000
      const value = "v".repeat(1024)
      const fibers = yield* Effect.forEach(Arr.range(0, N - 1), (i) => Effect.forkChild(conn.send(["SET", `k${i}`, value])))
      // Enough for the kernel's buffers on both sides to fill up.
      yield* Effect.sleep("300 millis")
      expect(log.full).toBeGreaterThan(0)
      expect(log.writesWhileFull).toBe(0)
      // Held back, not handed to the socket: 30 MB of commands, a few MB in the kernel's buffers.
      expect(log.bytes).toBeLessThan(N * 1024 / 2)
      expect(conn.pending()).toBe(N)
      server.resume()
      const replies = yield* Effect.forEach(fibers, Fiber.join)
      expect(replies.every((r) => r === "OK")).toBe(true)
      expect(log.drains).toBeGreaterThan(0)
      expect(log.writesWhileFull).toBe(0)
      expect(log.bytes).toBeGreaterThan(N * 1024)
      expect(conn.pending()).toBe(0)
      expect(conn.isOpen()).toBe(true)
    }), { timeout: 20_000 })
})

describe("RedisCluster against a node that stops answering", () => {
  it.live("the pool drops the closed connection and the next command gets a new one", () =>
    Effect.gen(function*() {
      // One node owning every slot. While `stuck`, a connection goes silent for good at its first
      // SET (replying to anything after it would answer the wrong command).
      let stuck = true
      const silent = new WeakSet<object>()
      let port = 0
      const server = yield* ScriptedServer.make((args, client) => {
        if (silent.has(client)) return
        const name = args.slice(0, 2).join(" ").toUpperCase()
        if (args[0] === "HELLO") return client.send(hello)
        if (name === "CLUSTER SHARDS") return client.send(shardsReply(port))
        if (name === "CLUSTER INFO") return client.send(bulk("cluster_state:ok\r\ncluster_current_epoch:1\r\n"))
        if (args[0] === "SET" && stuck) return silent.add(client)
        client.send("+OK\r\n")
      })
      port = server.port
      const redis = yield* RedisCluster.make({ startupNodes: [{ host: "127.0.0.1", port }], commandTimeout: "50 millis" }).pipe(
        Effect.provide(NodeConnector.layer)
      )
      const outcomes = new Map<string, number>()
      for (let wave = 0; wave < 5; wave++) {
        const exits = yield* Effect.forEach(Arr.range(0, 199), (i) => Effect.exit(redis.set(`k${i}`, "v")), { concurrency: "unbounded" })
        for (const exit of exits) tally(outcomes, outcome(exit))
        yield* Effect.sleep("20 millis")
      }
      expect([...outcomes.keys()].filter((k) => !["TimeoutError", "ConnectionError"].includes(k))).toEqual([])
      const opened = server.accepted()
      // Each connection went silent and was closed, and the next wave had a new one. (A wave
      // written right after the last reply may not count: the sweeper knows when bytes came only to
      // within its period, and gives the node the benefit of the doubt.)
      expect(opened).toBeGreaterThanOrEqual(3)
      stuck = false
      let answered = false
      for (let attempt = 0; attempt < 20 && !answered; attempt++) {
        const exits = yield* Effect.forEach(Arr.range(0, 9), (i) => Effect.exit(redis.set(`k${i}`, "v")), { concurrency: "unbounded" })
        answered = exits.some(Exit.isSuccess)
        if (!answered) yield* Effect.sleep("20 millis")
      }
      expect(answered).toBe(true)
      expect(server.accepted()).toBeGreaterThan(opened - 1)
    }), { timeout: 20_000 })
})
