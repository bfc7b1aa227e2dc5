/**
 * One redis-server process under the fixture's control: spawn on free ports (retrying when another
 * process wins the race for a port), readiness by `INFO server` answering with our pid, kill / stop /
 * restart on the same ports and folder, SIGSTOP / SIGCONT, teardown that leaves nothing behind.
 *
 * @internal
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { AdminClient, type Auth } from "./client.js"
import { FixtureError, type RedisReplyError } from "./errors.js"
import { releasePorts, reservePorts } from "./ports.js"
import type { Arg, Reply } from "./resp.js"
import { now, sleep } from "./timing.js"

/**
 * The loopback address every fixture server binds. @internal
 *
 * @since 0.1.0
 * @category constants
 */
export const HOST = "127.0.0.1" as const

/**
 * What to run. @internal
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerSpec {
  readonly bin: string
  /** Whether the server needs a second port for the cluster bus (`--cluster-port`). */
  readonly withBusPort: boolean
  /** Arguments appended after the fixture's own (port, bind, dir, persistence off…). */
  readonly args: ReadonlyArray<string>
  /** Credentials the admin connection authenticates with. */
  readonly auth: Auth | undefined
  /** Folder name prefix under `os.tmpdir()`. */
  readonly prefix: string
  /** Default timeout of admin commands, in ms. */
  readonly commandTimeoutMs?: number | undefined
}

const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const START_ATTEMPTS = 8

// ---------------------------------------------------------------------------------------------
// process-exit safety net
// ---------------------------------------------------------------------------------------------

const live = new Set<ManagedServer>()
let exitHookInstalled = false

const installExitHook = (): void => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on("exit", () => {
    for (const server of live) server.destroySync()
  })
}

/**
 * When the Node process dies without running its `exit` handlers (SIGKILL or SIGTERM of a test
 * worker), a tiny shell loop per redis-server notices within a second, kills the server and removes
 * its folder. It ignores INT/TERM/HUP so that it survives a signal sent to the whole process group
 * (Ctrl-C, `timeout`), which the server itself obeys. When the server goes away while Node lives
 * (an intentional kill or restart), it leaves: Node owns the cleanup then.
 */
const WATCHDOG = [
  "trap '' INT TERM HUP",
  "while kill -0 \"$2\" 2>/dev/null; do",
  "  if ! kill -0 \"$1\" 2>/dev/null; then",
  "    sleep 1",
  "    kill -0 \"$2\" 2>/dev/null && exit 0",
  "    break",
  "  fi",
  "  sleep 1",
  "done",
  "if kill -0 \"$1\" 2>/dev/null; then kill -CONT \"$1\" 2>/dev/null; kill -KILL \"$1\" 2>/dev/null; fi",
  "rm -rf \"$3\""
].join("\n")

const spawnWatchdog = (pid: number, dir: string): ChildProcess.ChildProcess | undefined => {
  if (process.platform === "win32" || !Fs.existsSync("/bin/sh")) return undefined
  try {
    const watchdog = ChildProcess.spawn("/bin/sh", ["-c", WATCHDOG, "keyslot-watchdog", String(pid), String(process.pid), dir], {
      stdio: "ignore"
    })
    watchdog.on("error", () => {})
    watchdog.unref()
    return watchdog
  } catch {
    return undefined
  }
}

const signal = (pid: number | undefined, sig: NodeJS.Signals): void => {
  if (pid === undefined) return
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/**
 * Parses `INFO` output into fields. @internal
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseInfo = (text: string): Record<string, string> => {
  const fields: Record<string, string> = {}
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue
    const colon = line.indexOf(":")
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1)
  }
  return fields
}

const isBindFailure = (log: string): boolean =>
  /Address already in use|Could not create server TCP listening socket|Failed listening on port/i.test(log)

const isStopped = (pid: number): boolean | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    return state === "T" || state === "t"
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------

interface Running {
  readonly child: ChildProcess.ChildProcess
  readonly pid: number
  watchdog: ChildProcess.ChildProcess | undefined
  exited: boolean
  spawnError: Error | undefined
  readonly onExit: Array<() => void>
}

/**
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export class ManagedServer {
  readonly host = HOST
  private ports: { port: number; busPort: number | undefined } | undefined
  private running: Running | undefined
  private paused = false
  private client: AdminClient | undefined
  private destroyed = false
  private shutDown = false

  private constructor(readonly spec: ServerSpec, readonly dir: string) {}

  /**
   * A server object with its own temporary folder; nothing runs until `start`. Closing the scope
   * kills the process (if any) and removes the folder.
   */
  static make(spec: ServerSpec): Effect.Effect<ManagedServer, FixtureError, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.try({
        try: () => {
          const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), spec.prefix))
          const server = new ManagedServer(spec, dir)
          installExitHook()
          live.add(server)
          return server
        },
        catch: (cause) => new FixtureError({ message: `cannot create a temporary folder: ${String(cause)}`, cause })
      }),
      (server) => server.shutdown
    )
  }

  get port(): number {
    if (this.ports === undefined) throw new Error("server not started")
    return this.ports.port
  }

  get busPort(): number | undefined {
    return this.ports?.busPort
  }

  get pid(): number | undefined {
    return this.running !== undefined && !this.running.exited ? this.running.pid : undefined
  }

  get isAlive(): boolean {
    return this.running !== undefined && !this.running.exited
  }

  get isPaused(): boolean {
    return this.isAlive && this.paused
  }

  /** The last lines of the server's log file. */
  logTail(lines = 25): string {
    try {
      const text = Fs.readFileSync(Path.join(this.dir, "redis.log"), "utf8")
      return text.trimEnd().split("\n").slice(-lines).join("\n")
    } catch {
      return "(no log)"
    }
  }

  /** Sends one raw command over the (authenticated) admin connection. */
  command(args: ReadonlyArray<Arg>, timeoutMs?: number): Effect.Effect<Reply, FixtureError | RedisReplyError> {
    if (this.ports === undefined) return Effect.fail(new FixtureError({ message: "server not started" }))
    if (this.client === undefined) this.client = new AdminClient(HOST, this.ports.port, this.spec.auth, this.spec.commandTimeoutMs)
    return this.client.command(args, timeoutMs)
  }

  /**
   * A dedicated connection (not the shared admin one), closed with the scope. `auth` defaults to
   * the server's own credentials. Opened and checked with `PING` right away.
   */
  connect(auth: Auth | undefined = this.spec.auth): Effect.Effect<AdminClient, FixtureError | RedisReplyError, Scope.Scope> {
    return Effect.suspend(() => {
      if (this.ports === undefined) return Effect.fail(new FixtureError({ message: "server not started" }))
      const port = this.ports.port
      return Effect.acquireRelease(
        Effect.sync(() => new AdminClient(HOST, port, auth, this.spec.commandTimeoutMs)),
        (client) => Effect.sync(() => client.reset())
      ).pipe(
        // a user without +ping still has an authenticated connection
        Effect.tap((client) =>
          client.command(["PING"]).pipe(
            Effect.catchIf((error) => error._tag === "RedisReplyError" && error.code === "NOPERM", () => Effect.void)
          )
        )
      )
    })
  }

  /** Starts the process: on new free ports the first time, on the same ports and folder after. */
  get start(): Effect.Effect<void, FixtureError> {
    return this.ports === undefined ? this.startFresh() : this.startAgain()
  }

  private startFresh = Effect.fnUntraced(function*(this: ManagedServer) {
    for (let attempt = 1; ; attempt++) {
      const reserved = yield* reservePorts(this.spec.withBusPort ? 2 : 1)
      const ports = { port: reserved[0]!, busPort: this.spec.withBusPort ? reserved[1] : undefined }
      this.ports = ports
      const outcome = yield* this.spawnAndWait()
      if (outcome === "ready") return
      const log = this.logTail()
      if (isBindFailure(log) && attempt < START_ATTEMPTS) {
        // Another process took one of the ports between our check and the server's bind.
        releasePorts(reserved)
        this.ports = undefined
        this.clearDir()
        continue
      }
      releasePorts(reserved)
      this.ports = undefined
      return yield* new FixtureError({ message: `redis-server exited during startup (attempt ${attempt}). Log tail:\n${log}` })
    }
  })

  private startAgain = Effect.fnUntraced(function*(this: ManagedServer) {
    if (this.isAlive) return
    const outcome = yield* this.spawnAndWait()
    if (outcome === "exited") {
      return yield* new FixtureError({ message: `redis-server on port ${this.port} exited while restarting. Log tail:\n${this.logTail()}` })
    }
  })

  private args(): Array<string> {
    const ports = this.ports!
    const args = [
      "--port", String(ports.port),
      "--bind", HOST,
      "--dir", this.dir,
      "--logfile", Path.join(this.dir, "redis.log"),
      "--daemonize", "no",
      "--save", "",
      "--appendonly", "no",
      "--enable-debug-command", "yes"
    ]
    if (ports.busPort !== undefined) args.push("--cluster-port", String(ports.busPort))
    return [...args, ...this.spec.args]
  }

  /**
   * Spawns the process and records it, synchronously (no interruption point between the spawn and
   * the bookkeeping teardown relies on).
   */
  private spawnChild(): Running {
    const child = ChildProcess.spawn(this.spec.bin, this.args(), { stdio: "ignore" })
    const running: Running = {
      child,
      pid: child.pid ?? -1,
      watchdog: undefined,
      exited: false,
      spawnError: undefined,
      onExit: []
    }
    const markExited = () => {
      running.exited = true
      for (const f of running.onExit.splice(0)) f()
    }
    child.on("error", (error) => {
      running.spawnError = error
      markExited()
    })
    child.once("exit", markExited)
    child.unref()
    this.running = running
    this.paused = false
    this.client?.reset()
    if (child.pid !== undefined) running.watchdog = spawnWatchdog(child.pid, this.dir)
    return running
  }

  private spawnAndWait = Effect.fnUntraced(function*(this: ManagedServer) {
    if (this.destroyed) return yield* new FixtureError({ message: "server already torn down" })
    const running = yield* Effect.try({
      try: () => this.spawnChild(),
      catch: (cause) => new FixtureError({ message: `cannot spawn ${this.spec.bin}: ${String(cause)}`, cause })
    })
    if (running.pid < 0) {
      // spawn failed: Node reports why with an "error" event
      yield* this.waitExit(running, 1_000)
      return yield* new FixtureError({
        message: `cannot spawn ${this.spec.bin}: ${String(running.spawnError?.message ?? "no pid")}`,
        cause: running.spawnError
      })
    }
    const probe = new AdminClient(HOST, this.ports!.port, this.spec.auth)
    return yield* this.waitReady(running, probe).pipe(Effect.ensuring(Effect.sync(() => probe.reset())))
  })

  private waitReady = Effect.fnUntraced(function*(this: ManagedServer, running: Running, probe: AdminClient) {
    const deadline = now() + READY_TIMEOUT_MS
    for (;;) {
      if (running.exited) {
        const error = running.spawnError
        if (error !== undefined) {
          return yield* new FixtureError({ message: `cannot spawn ${this.spec.bin}: ${error.message}`, cause: error })
        }
        return "exited" as const
      }
      const pid = yield* probe.command(["INFO", "server"], 1_000).pipe(
        Effect.map((reply) => Number(parseInfo(String(reply))["process_id"])),
        Effect.orElseSucceed(() => undefined)
      )
      if (pid === running.pid) return "ready" as const
      // Not up yet, or another process's server answered on our port (ours will exit).
      probe.reset()
      if (now() > deadline) {
        yield* this.killProcess
        return yield* new FixtureError({
          message: `redis-server on port ${this.ports!.port} did not become ready within ${READY_TIMEOUT_MS} ms. Log tail:\n${this.logTail()}`
        })
      }
      yield* sleep(10)
    }
  })

  private waitExit(running: Running, timeoutMs: number): Effect.Effect<boolean> {
    return Effect.callback<boolean>((resume) => {
      if (running.exited) {
        resume(Effect.succeed(true))
        return
      }
      const timer = setTimeout(() => resume(Effect.succeed(running.exited)), timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resume(Effect.succeed(true))
      }
      running.onExit.push(done)
      return Effect.sync(() => {
        clearTimeout(timer)
        const i = running.onExit.indexOf(done)
        if (i >= 0) running.onExit.splice(i, 1)
      })
    })
  }

  private get killProcess(): Effect.Effect<void, FixtureError> {
    return Effect.suspend(() => {
      const running = this.running
      this.client?.reset()
      if (running === undefined || running.exited) return Effect.void
      signal(running.pid, "SIGKILL")
      this.paused = false
      return this.waitExit(running, STOP_TIMEOUT_MS).pipe(
        Effect.flatMap((exited) =>
          exited ? Effect.void : Effect.fail(new FixtureError({ message: `redis-server pid ${running.pid} did not die after SIGKILL` }))
        )
      )
    })
  }

  /** SIGKILL; waits until the process is gone. No-op when not running. */
  get kill(): Effect.Effect<void, FixtureError> {
    return this.killProcess
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL if still alive after 5 s; waits until gone. */
  get stop(): Effect.Effect<void, FixtureError> {
    return Effect.suspend(() => {
      const running = this.running
      this.client?.reset()
      if (running === undefined || running.exited) return Effect.void
      if (this.paused) signal(running.pid, "SIGCONT")
      this.paused = false
      signal(running.pid, "SIGTERM")
      return this.waitExit(running, STOP_TIMEOUT_MS).pipe(
        Effect.flatMap((exited) => (exited ? Effect.void : this.killProcess))
      )
    })
  }

  /** Stops the process if running, then starts it again on the same ports and folder. */
  get restart(): Effect.Effect<void, FixtureError> {
    return Effect.andThen(this.stop, this.start)
  }

  /** SIGSTOP; waits until the kernel reports the process stopped. */
  get pause(): Effect.Effect<void, FixtureError> {
    return Effect.gen({ self: this }, function*() {
      const running = this.running
      if (running === undefined || running.exited) {
        return yield* new FixtureError({ message: `cannot pause port ${this.ports?.port}: not running` })
      }
      signal(running.pid, "SIGSTOP")
      this.paused = true
      const deadline = now() + 2_000
      while (isStopped(running.pid) === false && now() < deadline) yield* sleep(2)
    })
  }

  /** SIGCONT. */
  get resume(): Effect.Effect<void, FixtureError> {
    return Effect.sync(() => {
      const running = this.running
      if (running !== undefined && !running.exited) signal(running.pid, "SIGCONT")
      this.paused = false
    })
  }

  private clearDir(): void {
    try {
      for (const entry of Fs.readdirSync(this.dir)) Fs.rmSync(Path.join(this.dir, entry), { recursive: true, force: true })
    } catch {
      // best effort
    }
  }

  /** Teardown: SIGKILL, wait for the exit, remove the folder, release the ports. */
  get shutdown(): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      if (this.shutDown) return
      this.shutDown = true
      this.destroyed = true
      const running = this.running
      this.client?.reset()
      if (running !== undefined && !running.exited) {
        signal(running.pid, "SIGCONT")
        signal(running.pid, "SIGKILL")
        yield* this.waitExit(running, STOP_TIMEOUT_MS)
      }
      signal(running?.watchdog?.pid, "SIGKILL")
      yield* Effect.promise(() => Fs.promises.rm(this.dir, { recursive: true, force: true }).catch(() => {}))
      if (this.ports !== undefined) releasePorts([this.ports.port, ...(this.ports.busPort === undefined ? [] : [this.ports.busPort])])
      live.delete(this)
    })
  }

  /** Synchronous last-resort teardown for `process.on("exit")`. */
  destroySync(): void {
    this.destroyed = true
    const running = this.running
    if (running !== undefined && !running.exited) {
      signal(running.pid, "SIGCONT")
      signal(running.pid, "SIGKILL")
    }
    signal(running?.watchdog?.pid, "SIGKILL")
    try {
      Fs.rmSync(this.dir, { recursive: true, force: true })
    } catch {
      // best effort
    }
    live.delete(this)
  }
}
