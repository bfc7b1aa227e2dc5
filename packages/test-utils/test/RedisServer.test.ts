import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope } from "effect"
import * as Fs from "node:fs"
import { RedisServer } from "../src/index.js"

const isDead = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

describe("RedisServer", () => {
  it.effect("starts, answers commands, restarts on the same port, pauses, is killed and cleaned up", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* RedisServer.make().pipe(Scope.provide(scope))
      expect(server.host).toBe("127.0.0.1")
      expect(server.port).toBeGreaterThanOrEqual(20000)
      expect(server.port).toBeLessThanOrEqual(30999)
      expect(yield* server.command("PING")).toBe("PONG")
      expect(yield* server.command("SET", "k", "v")).toBe("OK")
      expect(yield* server.command("GET", "k")).toBe("v")
      expect(yield* server.command("GET", "missing")).toBeNull()
      expect(yield* server.command("INCRBY", "n", 41)).toBe(41)
      expect(yield* server.command("RPUSH", "l", "a", "b")).toBe(2)
      expect(yield* server.command("LRANGE", "l", 0, -1)).toEqual(["a", "b"])
      const error = yield* Effect.flip(server.command("INCR", "k"))
      expect(error._tag).toBe("RedisReplyError")
      if (error._tag === "RedisReplyError") expect(error.code).toBe("ERR")
      const config = yield* server.command("CONFIG", "GET", "save")
      expect(config).toEqual(["save", ""])

      const pid1 = Option.getOrThrow(yield* server.pid)
      yield* server.restart
      const pid2 = Option.getOrThrow(yield* server.pid)
      expect(pid2).not.toBe(pid1)
      expect(isDead(pid1)).toBe(true)
      expect(yield* server.command("PING")).toBe("PONG")

      yield* server.pause
      expect(Fs.readFileSync(`/proc/${pid2}/stat`, "utf8")).toMatch(/\) [Tt] /)
      yield* server.resume
      expect(yield* server.command("PING")).toBe("PONG")

      yield* server.kill
      expect(yield* server.alive).toBe(false)
      expect(Option.isNone(yield* server.pid)).toBe(true)
      expect(isDead(pid2)).toBe(true)
      const down = yield* Effect.flip(server.command("PING"))
      expect(down._tag).toBe("FixtureError")

      yield* server.restart
      const pid3 = Option.getOrThrow(yield* server.pid)
      expect(yield* server.command("PING")).toBe("PONG")
      const dir = server.dir
      expect(Fs.existsSync(dir)).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(isDead(pid3)).toBe(true)
      expect(Fs.existsSync(dir)).toBe(false)
    }))

  it.effect("authenticates with a password and with ACL users", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.make({
        password: "s3cret",
        aclUsers: [
          { name: "alice", password: "alice-pw" },
          { name: "reader", password: "reader-pw", rules: "~* +@read +acl|whoami" }
        ]
      })
      // the admin connection authenticated as the default user
      expect(yield* server.command("ACL", "WHOAMI")).toBe("default")
      expect(yield* server.command("SET", "k", "v")).toBe("OK")

      // AUTH on the shared admin connection
      const wrong = yield* Effect.flip(server.command("AUTH", "alice", "nope"))
      expect(wrong._tag === "RedisReplyError" && wrong.code).toBe("WRONGPASS")

      // dedicated connections authenticated as ACL users
      const alice = yield* server.connect({ username: "alice", password: "alice-pw" })
      expect(yield* alice.command("ACL", "WHOAMI")).toBe("alice")
      expect(yield* alice.command("SET", "k2", "v2")).toBe("OK")
      const reader = yield* server.connect({ username: "reader", password: "reader-pw" })
      expect(yield* reader.command("ACL", "WHOAMI")).toBe("reader")
      expect(yield* reader.command("GET", "k2")).toBe("v2")
      const denied = yield* Effect.flip(reader.command("SET", "k", "x"))
      expect(denied._tag === "RedisReplyError" && denied.code).toBe("NOPERM")
      const refused = yield* Effect.flip(Effect.scoped(server.connect({ username: "alice", password: "wrong" })))
      expect(refused.message).toContain("AUTH failed")
      // AUTH as a command on an unauthenticated connection
      const anonymous = yield* server.connect({ password: "s3cret" })
      expect(yield* anonymous.command("AUTH", "alice", "alice-pw")).toBe("OK")
      expect(yield* anonymous.command("ACL", "WHOAMI")).toBe("alice")
      // the admin connection is still the default user
      expect(yield* server.command("ACL", "WHOAMI")).toBe("default")
    }))

  it.effect("layer provides a server", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.RedisServer
      expect(yield* server.command("PING")).toBe("PONG")
    }).pipe(Effect.provide(RedisServer.layer())))

  it.effect("a missing binary fails with install instructions", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(RedisServer.make({ bin: "/nonexistent/redis-server" })))
      expect(error._tag).toBe("FixtureError")
      expect(error.message).toContain("apt-get install redis-server")
      expect(error.message).toContain("brew install redis")
      expect(error.message).toContain("REDIS_SERVER_BIN")
    }))
})
