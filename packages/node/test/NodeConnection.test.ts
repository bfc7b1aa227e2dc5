import { describe, expect, it } from "@effect/vitest"
import { ClusterError, NodeConnection, Resp } from "@keyslot/core"
import { NodeConnector } from "@keyslot/node"
import { RedisServer } from "@keyslot/test-utils"
import { Array as Arr, Cause, Duration, Effect, Exit, Fiber, Redacted, Scope } from "effect"
import * as Net from "node:net"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import { vi } from "vitest"
import * as ScriptedServer from "./helpers/ScriptedServer.js"

const connect = (port: number, options: Partial<NodeConnection.NodeConnectionOptions> = {}) =>
  NodeConnection.make({ host: "127.0.0.1", port, ...options }).pipe(Effect.provide(NodeConnector.layer))

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  // v4 causes are flat: a typed failure is a cause whose only reason is a Fail.
  const [reason, ...rest] = exit.cause.reasons
  if (reason === undefined || rest.length > 0 || !Cause.isFailReason(reason)) {
    throw new Error(`expected a typed failure, got ${exit.cause.reasons.map((r) => r._tag).join(", ")}`)
  }
  return reason.error
}

describe("NodeConnection against a real redis-server", () => {
  it.live("handshakes with HELLO 3 and answers commands", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port, { clientName: "keyslot-test" })
      expect(conn.protocol).toBe(3)
      expect(yield* conn.send(["PING"])).toBe("PONG")
      expect(yield* conn.send(["SET", "k", "v"])).toBe("OK")
      expect(yield* conn.send(["GET", "k"])).toBe("v")
      expect(yield* conn.send(["GET", "missing"])).toBe(null)
      expect(yield* conn.send(["CLIENT", "GETNAME"])).toBe("keyslot-test")
      const bytes = yield* conn.send(["GET", "k"], true)
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(bytes as Uint8Array).toString()).toBe("v")
      expect(yield* conn.send(["HSET", "h", "a", "1"])).toBe(1)
      expect(yield* conn.send(["HGETALL", "h"])).toEqual(new Map([["a", "1"]]))
    }))

  it.live("protocol 2 speaks RESP2", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port, { protocol: 2, clientName: "two" })
      expect(conn.protocol).toBe(2)
      yield* conn.send(["HSET", "h", "a", "1"])
      expect(yield* conn.send(["HGETALL", "h"])).toEqual(["a", "1"])
      expect(yield* conn.send(["CLIENT", "GETNAME"])).toBe("two")
    }))

  it.live("10k commands from 100 fibers each get their own reply", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port)
      const results = yield* Effect.forEach(
        Arr.range(0, 99),
        (worker) =>
          Effect.forEach(Arr.range(0, 99), (i) =>
            Effect.gen(function*() {
              const key = `w${worker}:${i}`
              const value = `${worker}-${i}-${"x".repeat(i % 17)}`
              const set = yield* conn.send(["SET", key, value])
              const got = yield* conn.send(["GET", key])
              const n = yield* conn.send(["INCR", `counter:${worker}`])
              return set === "OK" && got === value && n === i + 1
            })),
        { concurrency: "unbounded" }
      )
      expect(results.flat().every((ok) => ok)).toBe(true)
      expect(results.flat()).toHaveLength(10_000)
      expect(conn.pending()).toBe(0)
    }))

  it.live("an error reply fails only its command, typed, and the connection stays usable", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port)
      yield* conn.send(["SET", "str", "v"])
      const [bad, good] = yield* Effect.all([
        Effect.exit(conn.send(["LPUSH", "str", "x"])),
        conn.send(["GET", "str"])
      ], { concurrency: "unbounded" })
      const error = failure(bad)
      expect(error._tag).toBe("ReplyError")
      expect(error).toBeInstanceOf(ClusterError.ReplyError)
      expect((error as ClusterError.ReplyError).code).toBe("WRONGTYPE")
      expect((error as ClusterError.ReplyError).command).toBe("LPUSH")
      expect((error as ClusterError.ReplyError).port).toBe(server.port)
      expect(good).toBe("v")
      expect(conn.isOpen()).toBe(true)
      const unknown = failure(yield* Effect.exit(conn.send(["NOSUCHCOMMAND"])))
      expect(unknown._tag).toBe("ReplyError")
      expect(yield* conn.send(["PING"])).toBe("PONG")
    }))

  it.live("interrupted callers never desynchronise the reply order", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port)
      const slow = yield* Effect.forkChild(conn.send(["DEBUG", "SLEEP", "0.2"]))
      // Queued behind the sleep: written, waiting for their replies.
      const fibers = yield* Effect.forEach(Arr.range(0, 199), (i) => Effect.forkChild(conn.send(["ECHO", `m${i}`])))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(slow)
      // Interrupt every other one; the rest must get exactly their own echo.
      yield* Effect.forEach(fibers.filter((_, i) => i % 2 === 0), Fiber.interrupt)
      const answers = yield* Effect.forEach(fibers.filter((_, i) => i % 2 === 1), Fiber.join)
      expect(answers).toEqual(Arr.range(0, 199).filter((i) => i % 2 === 1).map((i) => `m${i}`))
      expect(yield* conn.send(["ECHO", "after"])).toBe("after")
      expect(conn.pending()).toBe(0)
    }))

  it.live("commandTimeout fails that command only, and later replies still match", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port, { commandTimeout: "100 millis" })
      const start = Date.now()
      const error = failure(yield* Effect.exit(conn.send(["DEBUG", "SLEEP", "0.4"])))
      const elapsed = Date.now() - start
      expect(error._tag).toBe("TimeoutError")
      expect((error as ClusterError.TimeoutError).command).toBe("DEBUG")
      expect(elapsed).toBeGreaterThanOrEqual(95)
      expect(elapsed).toBeLessThan(390)
      // The late reply to DEBUG SLEEP is dropped in order; ECHO gets its own.
      expect(yield* conn.send(["ECHO", "next"], false, 0)).toBe("next")
      expect(conn.isOpen()).toBe(true)
    }))

  it.live("the server killed mid-flight fails every waiting command with ConnectionError", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const conn = yield* connect(server.port)
      const inFlight = yield* Effect.forkChild(Effect.exit(conn.send(["DEBUG", "SLEEP", "2"])))
      yield* Effect.sleep("50 millis")
      yield* server.kill
      const error = failure(yield* Fiber.join(inFlight))
      expect(error._tag).toBe("ConnectionError")
      expect((error as ClusterError.ConnectionError).written).toBe(true)
      const dead = yield* conn.closed
      expect(dead._tag).toBe("ConnectionError")
      expect(conn.isOpen()).toBe(false)
      const after = failure(yield* Effect.exit(conn.send(["PING"])))
      expect(after._tag).toBe("ConnectionError")
      expect((after as ClusterError.ConnectionError).written).toBe(false)
    }))

  it.live("AUTH with an ACL user: right password works, wrong one is a typed error", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make({
        aclUsers: [{ name: "app", password: "s3cret", rules: "~* &* +@all" }]
      })
      const ok = yield* connect(server.port, { username: "app", password: Redacted.make("s3cret") })
      expect(yield* ok.send(["ACL", "WHOAMI"])).toBe("app")
      const ok2 = yield* connect(server.port, { username: "app", password: Redacted.make("s3cret"), protocol: 2 })
      expect(yield* ok2.send(["ACL", "WHOAMI"])).toBe("app")
      const wrong = failure(yield* Effect.exit(connect(server.port, { username: "app", password: Redacted.make("nope") })))
      expect(wrong._tag).toBe("ReplyError")
      expect((wrong as ClusterError.ReplyError).code).toBe("WRONGPASS")
    }))

  it.live("push frames go to the push handler, not to a command", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const pushes: Array<Resp.Push> = []
      const conn = yield* connect(server.port, { onPush: (p) => pushes.push(p) })
      const other = yield* connect(server.port)
      yield* conn.send(["CLIENT", "TRACKING", "ON"])
      yield* conn.send(["SET", "tracked", "1"])
      yield* conn.send(["GET", "tracked"])
      yield* other.send(["SET", "tracked", "2"])
      // The invalidation arrives before this reply: the server handles `other` first.
      expect(yield* conn.send(["PING"])).toBe("PONG")
      expect(yield* conn.send(["GET", "tracked"])).toBe("2")
      expect(pushes.length).toBeGreaterThanOrEqual(1)
      expect(pushes[0]!.values[0]).toBe("invalidate")
    }))

  it.live("closing the scope fails waiting commands with ConnectionError", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const serverScope = yield* Scope.make()
      const server = yield* RedisServer.make().pipe(Scope.provide(serverScope))
      const conn = yield* connect(server.port).pipe(Scope.provide(scope))
      const waiting = yield* Effect.forkChild(Effect.exit(conn.send(["DEBUG", "SLEEP", "0.3"])))
      yield* Effect.sleep("20 millis")
      yield* Scope.close(scope, Exit.void)
      const error = failure(yield* Fiber.join(waiting))
      expect(error._tag).toBe("ConnectionError")
      expect(conn.isOpen()).toBe(false)
      yield* Scope.close(serverScope, Exit.void)
    }))

  it.live("a refused connection is a ConnectionError naming the node", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(ScriptedServer.make(() => {}).pipe(Effect.map((s) => s.port)))
      const error = failure(yield* Effect.exit(Effect.scoped(connect(port))))
      expect(error._tag).toBe("ConnectionError")
      expect((error as ClusterError.ConnectionError).port).toBe(port)
      expect(error.message).toContain("ECONNREFUSED")
    }))
})

describe("NodeConnection against a scripted server", () => {
  const helloReply = "%1\r\n+server\r\n+redis\r\n"

  it.live("garbage from the server is a ProtocolError that closes the connection", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send(helloReply)
        client.send("@garbage\r\n")
      })
      const conn = yield* connect(server.port)
      const error = failure(yield* Effect.exit(conn.send(["GET", "k"])))
      expect(error._tag).toBe("ProtocolError")
      expect((error as ClusterError.ProtocolError).command).toBe("GET")
      expect(error.message).toContain("unknown RESP type")
      const reason = yield* conn.closed
      expect(reason._tag).toBe("ProtocolError")
      expect(conn.isOpen()).toBe(false)
    }))

  it.live("half a reply then close fails the command, never hangs", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send(helloReply)
        client.send("$10\r\nabc")
        client.end()
      })
      const conn = yield* connect(server.port)
      const error = failure(yield* Effect.exit(conn.send(["GET", "k"])))
      expect(error._tag).toBe("ConnectionError")
      expect(conn.isOpen()).toBe(false)
    }))

  it.live("a server that refuses HELLO 3 (NOPROTO) gets RESP2", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const server = yield* ScriptedServer.make((args, client) => {
        seen.push(args.join(" "))
        if (args[0] === "HELLO") return client.send("-NOPROTO sorry, this protocol version is not supported\r\n")
        if (args[0] === "CLIENT") return client.send("+OK\r\n")
        client.send("+PONG\r\n")
      })
      const conn = yield* connect(server.port, { clientName: "c1" })
      expect(conn.protocol).toBe(2)
      expect(yield* conn.send(["PING"])).toBe("PONG")
      expect(seen).toEqual(["HELLO 3 SETNAME c1", "CLIENT SETNAME c1", "PING"])
    }))

  it.live("a server that never answers the handshake fails within connectTimeout", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make(() => {})
      const start = Date.now()
      const error = failure(yield* Effect.exit(Effect.scoped(connect(server.port, { connectTimeout: "200 millis" }))))
      expect(error._tag).toBe("TimeoutError")
      expect(Date.now() - start).toBeLessThan(1500)
    }))

  it.live("a reply nobody asked for is a ProtocolError", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send(helloReply + "+EXTRA\r\n")
        client.send("+PONG\r\n")
      })
      const conn = yield* connect(server.port)
      const reason = yield* conn.closed
      expect(reason._tag).toBe("ProtocolError")
    }))
})

describe("NodeConnection against a stuck node", () => {
  const hello = "%1\r\n+server\r\n+redis\r\n"
  /** Answers the handshake, then nothing ever again. */
  const silentNode = ScriptedServer.make((args, client) => {
    if (args[0] === "HELLO") client.send(hello)
  })
  /** A full collection: vitest starts its workers without `--expose-gc`, so it is exposed here. */
  const collectGarbage = (): void => {
    V8.setFlagsFromString("--expose-gc")
    ;(Vm.runInNewContext("gc") as () => void)()
  }

  it.live("past maxPendingCommands a command fails at once with QueueFullError; a batch is admitted or refused whole", () =>
    Effect.gen(function*() {
      const server = yield* silentNode
      const conn = yield* connect(server.port, { maxPendingCommands: 3 })
      yield* Effect.forEach(Arr.range(1, 2), (i) => Effect.forkChild(conn.send(["SET", `k${i}`, "v"])))
      yield* Effect.sleep("10 millis")
      expect(conn.pending()).toBe(2)
      // Below the cap: the whole transaction goes in, even past the cap (it must not go out in part).
      yield* Effect.forkChild(conn.sendBatch([{ args: ["MULTI"] }, { args: ["INCR", "n"] }, { args: ["EXEC"] }]))
      yield* Effect.sleep("10 millis")
      expect(conn.pending()).toBe(5)
      const start = Date.now()
      const error = failure(yield* Effect.exit(conn.send(["GET", "k"])))
      expect(error).toBeInstanceOf(ClusterError.QueueFullError)
      expect(error).toMatchObject({ host: "127.0.0.1", port: server.port, command: "GET", limit: 3 })
      const refused = yield* conn.sendBatch([{ args: ["MULTI"] }, { args: ["INCR", "n"] }, { args: ["EXEC"] }])
      expect(refused.map((exit) => failure(exit)._tag)).toEqual(["QueueFullError", "QueueFullError", "QueueFullError"])
      expect(Date.now() - start).toBeLessThan(50)
      expect(conn.pending()).toBe(5)
      expect(conn.isOpen()).toBe(true)
    }), { timeout: 10_000 })

  it.live("a written command's arguments are released before its reply comes", () =>
    Effect.gen(function*() {
      const server = yield* silentNode
      const conn = yield* connect(server.port, { commandTimeout: "50 millis" })
      // Sent from a frame of its own, gone once it returns: only the connection could keep the value.
      const sendBig = Effect.gen(function*() {
        const value = new Uint8Array(1024).fill(7)
        const ref = new WeakRef(value)
        expect(failure(yield* Effect.exit(conn.send(["SET", "k", value])))._tag).toBe("TimeoutError")
        return ref
      })
      const ref = yield* sendBig
      // Still waiting for its reply (replies come in order), but its 1 KB must not wait with it.
      expect(conn.pending()).toBe(1)
      yield* Effect.sleep("1 millis")
      collectGarbage()
      expect(ref.deref()).toBeUndefined()
    }), { timeout: 10_000 })

  it.live("3 written commands timed out with nothing received close the connection; their neighbours fail with written: true", () =>
    Effect.gen(function*() {
      const server = yield* silentNode
      const conn = yield* connect(server.port, { commandTimeout: "50 millis" })
      expect(failure(yield* Effect.exit(conn.send(["GET", "a"])))._tag).toBe("TimeoutError")
      yield* Effect.sleep("30 millis")
      // One timeout is a slow command, not a dead node.
      expect(conn.isOpen()).toBe(true)
      const patient = yield* Effect.forkChild(Effect.exit(conn.send(["GET", "no deadline"], false, 0)))
      const timedOut = yield* Effect.all([Effect.exit(conn.send(["GET", "b"])), Effect.exit(conn.send(["GET", "c"]))], { concurrency: "unbounded" })
      expect(timedOut.map((e) => failure(e)._tag)).toEqual(["TimeoutError", "TimeoutError"])
      const reason = yield* conn.closed
      expect(reason._tag).toBe("ConnectionError")
      expect(reason.message).toContain("nothing received")
      const lost = failure(yield* Fiber.join(patient))
      expect(lost).toBeInstanceOf(ClusterError.ConnectionError)
      expect((lost as ClusterError.ConnectionError).written).toBe(true)
      expect((lost as ClusterError.ConnectionError).command).toBe("GET")
      expect(conn.pending()).toBe(0)
      yield* Effect.sleep("50 millis")
      expect(server.connections()).toBe(0)
    }), { timeout: 10_000 })

  it.live("a node that answers late, but answers, is not closed however many commands time out", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send(hello)
        setTimeout(() => client.send("+OK\r\n"), 80)
      })
      const conn = yield* connect(server.port, { commandTimeout: "50 millis" })
      for (let i = 0; i < 6; i++) {
        expect(failure(yield* Effect.exit(conn.send(["SET", "k", "v"])))._tag).toBe("TimeoutError")
      }
      expect(conn.isOpen()).toBe(true)
      expect(yield* conn.send(["PING"], false, 0)).toBe("OK")
    }), { timeout: 10_000 })

  it.live("TCP keepalive is on", () =>
    Effect.gen(function*() {
      const spy = vi.spyOn(Net.Socket.prototype, "setKeepAlive")
      yield* Effect.addFinalizer(() => Effect.sync(() => spy.mockRestore()))
      const server = yield* silentNode
      yield* connect(server.port)
      expect(spy).toHaveBeenCalledWith(true, expect.any(Number))
      expect(spy.mock.calls[0]![1]).toBeGreaterThan(0)
    }), { timeout: 10_000 })
})

describe("connectTimeout 0 and Infinity mean no deadline (issue #12, item 6)", () => {
  it.live("a connection opened with connectTimeout 0, Infinity or Duration.infinity handshakes and answers", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      for (const connectTimeout of [0, Infinity, "Infinity" as const, Duration.infinity, Duration.zero]) {
        const conn = yield* connect(server.port, { connectTimeout })
        expect(conn.isOpen()).toBe(true)
        expect(yield* conn.send(["PING"])).toBe("PONG")
      }
    }), { timeout: 10_000 })

  it.live("with connectTimeout 0 a slow handshake is waited for, not timed out", () =>
    Effect.gen(function*() {
      // HELLO answered after 300 ms: no deadline means the open waits for it
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") {
          setTimeout(() => client.send("%1\r\n+server\r\n+redis\r\n"), 300)
          return
        }
        client.send("+PONG\r\n")
      })
      const conn = yield* connect(server.port, { connectTimeout: 0 })
      expect(yield* conn.send(["PING"])).toBe("PONG")
    }), { timeout: 10_000 })
})

describe("pushes behind an attribute frame (issue #12, item 16)", () => {
  it.live("an attribute in front of a push reaches onPush as a Push; replies stay matched to their commands", () =>
    Effect.gen(function*() {
      const attribute = "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n"
      const push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"
      const server = yield* ScriptedServer.make((args, client) => {
        if (args[0] === "HELLO") return client.send("%1\r\n+server\r\n+redis\r\n")
        // the push goes out before the reply, as a server tracking keys sends invalidations
        client.send(attribute + push + `$${args[1]!.length}\r\n${args[1]}\r\n`)
      })
      const pushes: Array<Resp.Push> = []
      const conn = yield* connect(server.port, { onPush: (p) => pushes.push(p) })
      expect(yield* conn.send(["ECHO", "one"])).toBe("one")
      expect(yield* conn.send(["ECHO", "two"])).toBe("two")
      expect(pushes).toHaveLength(2)
      expect(pushes[0]).toBeInstanceOf(Resp.Push)
      expect(pushes[0]!.values[0]).toBe("invalidate")
      expect(conn.isOpen()).toBe(true)
    }), { timeout: 10_000 })
})
