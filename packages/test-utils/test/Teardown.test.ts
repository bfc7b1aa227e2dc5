import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { RedisClusterFixture } from "../src/index.js"

/** Whether a process is gone (a zombie counts as gone). */
const isDead = (pid: number): boolean => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
  } catch {
    return true
  }
}

/** Live redis-server processes whose parent is this test process. */
const ownRedisServers = (): Array<number> =>
  Fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = Fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return comm.startsWith("redis-server") && state !== "Z" && Number(ppid) === process.pid ? [Number(entry)] : []
    } catch {
      return []
    }
  })

/** Polls a condition on the wall clock (these tests run with a TestClock). */
const eventually = (what: string, condition: () => boolean, timeoutMs = 10_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })

describe("teardown", () => {
  it.effect("closing the scope kills every node and removes every folder", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const started = Date.now()
      const cluster = yield* RedisClusterFixture.make().pipe(Scope.provide(scope))
      const elapsed = Date.now() - started
      console.log(`3+3 cluster healthy in ${elapsed} ms`)
      expect(elapsed).toBeLessThan(10_000)
      const nodes = yield* cluster.nodes
      const pids = nodes.map((n) => Option.getOrThrow(n.pid))
      expect(pids).toHaveLength(6)
      expect(pids.every((pid) => !isDead(pid))).toBe(true)
      // one paused node must not block teardown
      yield* cluster.pauseNode(nodes[5]!.port)
      yield* Scope.close(scope, Exit.void)
      for (const pid of pids) expect(isDead(pid)).toBe(true)
      expect(ownRedisServers()).toEqual([])
    }))

  it.effect("a build that fails leaves nothing behind", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(RedisClusterFixture.make({ masters: 1, replicasPerMaster: 1, healthyTimeout: 1 })))
      expect(error._tag).toBe("FixtureError")
      expect(error.message).toContain("not done after")
      expect(ownRedisServers()).toEqual([])
    }))

  it.effect("an interrupted build leaves nothing behind", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Effect.scoped(RedisClusterFixture.make()))
      yield* eventually("some nodes to run", () => ownRedisServers().length >= 3)
      yield* Fiber.interrupt(fiber)
      expect(ownRedisServers()).toEqual([])
    }))

  const orphan = (mode: "exit" | "hang", signal?: "SIGKILL" | "SIGTERM-group") =>
    Effect.gen(function*() {
      const script = Path.join(import.meta.dirname, "fixtures", "orphan.ts")
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", script, mode], {
        cwd: Path.join(import.meta.dirname, ".."),
        stdio: ["ignore", "pipe", "inherit"],
        // its own process group, so that a signal to the group reaches only it and its children
        detached: true
      })
      const line = yield* Effect.promise(() =>
        new Promise<string>((resolve) => {
          let out = ""
          child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString()
            if (out.includes("\n")) resolve(out)
          })
          child.once("exit", () => resolve(out))
        })
      )
      const match = /PID (\d+) DIR (\S+)/.exec(line)
      expect(match, line).not.toBeNull()
      const pid = Number(match![1])
      const dir = match![2]!
      if (mode === "hang") {
        expect(isDead(pid)).toBe(false)
        if (signal === "SIGTERM-group") process.kill(-child.pid!, "SIGTERM")
        else child.kill("SIGKILL")
      }
      yield* eventually(`redis-server ${pid} to die`, () => isDead(pid))
      yield* eventually(`${dir} to be removed`, () => !Fs.existsSync(dir))
    })

  it.effect("a test process that exits without closing its scope kills its servers (exit hook)", () => orphan("exit"))
  it.effect("a test process that is SIGKILLed has its servers killed by the watchdog", () => orphan("hang", "SIGKILL"))
  it.effect("a SIGTERM to the test process's group leaves no server and no folder", () => orphan("hang", "SIGTERM-group"))
})
