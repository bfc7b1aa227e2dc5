/**
 * Micro-benchmark of what Effect's own runtime costs per operation (not a test, no harness, no I/O).
 * The numbers are there to re-check the team's speed rules on Effect 4, so every case isolates one
 * runtime mechanism: fibers, suspension, Deferred, timeouts, spans, and a Promise / raw Node
 * yardstick next to them.
 *
 *   cd bench && node --expose-gc --import tsx src/effectCosts.ts
 *
 * Method. Each case runs ≥ WARMUP_MS untimed first: shorter warm-ups time V8's baseline tiers, not
 * the optimised code a long-running client runs on. Then ROUNDS timed rounds of ~ROUND_MS, each after
 * a full GC (with --expose-gc), so one case's garbage is not collected on the next one's clock.
 * CPU is `process.cpuUsage()` (user + system): it hardly moves when other processes compete for the
 * cores, while wall time does. The table prints the round with the lowest CPU per op; stderr lists
 * every round, so the spread can be checked.
 *
 * Async cases settle their operations from one `setImmediate` per batch (ImmediateBatch), the way
 * one socket 'data' event settles many replies. That keeps the event loop's own cost per wake-up
 * out of the per-op numbers, which then show the runtime's cost per operation.
 */
import { Deferred, Effect, Fiber } from "effect"
import { readFileSync } from "node:fs"

const WARMUP_MS = 1500
const ROUND_MS = 1500
const ROUNDS = 3
/** Synchronous ops between two clock reads: keeps `performance.now()` out of sub-µs numbers. */
const CHUNK = 1000
/** Elements per burst (cases 1 and 8). */
const BURST = 1000
/** Closed loops running at once (cases 2, 7 and 8): enough for a batch to amortise its wake-up. */
const LOOPS = 100

// ---------------------------------------------------------------------------------------------
// Async sources
// ---------------------------------------------------------------------------------------------

/**
 * Collects resume functions and calls them all from a single `setImmediate`, so N operations pay
 * for one event-loop turn between them rather than one each.
 */
class ImmediateBatch<V> {
  private pending: Array<(value: V) => void> = []
  private scheduled = false
  private readonly value: V

  constructor(value: V) {
    this.value = value
  }

  /** Bound once, so that registering does not allocate a closure per operation. */
  readonly add = (resume: (value: V) => void): void => {
    this.pending.push(resume)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  private readonly flush = (): void => {
    // Swapped before resuming: a resumed loop registers its next operation during this flush, and
    // that one must wait for the next batch, as the next socket read would.
    const batch = this.pending
    this.pending = []
    this.scheduled = false
    for (let i = 0; i < batch.length; i++) batch[i]!(this.value)
  }
}

const effectBatch = new ImmediateBatch<Effect.Effect<void>>(Effect.void)
const promiseBatch = new ImmediateBatch<void>(undefined)

// Registers declare one parameter on purpose: Effect 4 allocates an AbortController per call only
// when `register.length >= 2`, and that cost is measured on its own row (7d).

/** Resumed later, from a batch; returns no canceler, so nothing is pushed on the fiber's stack. */
const laterOp = (): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    effectBatch.add(resume)
  })

/** Resumed later and returns a canceler, as a command that can be withdrawn from a queue would. */
const laterOpWithCanceler = (): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    effectBatch.add(resume)
    return Effect.void
  })

/** Resumed later; declares the AbortSignal parameter, which makes Effect allocate a controller. */
const laterOpWithSignal = (): Effect.Effect<void> =>
  Effect.callback<void>((resume, _signal) => {
    effectBatch.add(resume)
  })

/** Resumed inside register: the fiber never suspends. */
const syncOp = (): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    resume(Effect.void)
  })

// ---------------------------------------------------------------------------------------------
// Drivers: each runs its workload until a `performance.now()` deadline and returns ops completed
// ---------------------------------------------------------------------------------------------

type Run = (deadline: number) => Promise<number>

/**
 * A flag a timer sets at `deadline`. Closed loops read it once per op, where a clock read would be
 * a visible share of a sub-µs op. Only for loops that return to the event loop (else it never fires).
 */
const stopAt = (deadline: number): { stopped: boolean } => {
  const stop = { stopped: false }
  setTimeout(() => {
    stop.stopped = true
  }, Math.max(0, deadline - performance.now()))
  return stop
}

/** `op` back to back in one fiber, built afresh per iteration as user code does per command. */
const sequential = (op: () => Effect.Effect<unknown, unknown>): Run => (deadline) =>
  Effect.runPromise(Effect.gen(function*() {
    let ops = 0
    while (performance.now() < deadline) {
      for (let i = 0; i < CHUNK; i++) yield* op()
      ops += CHUNK
    }
    return ops
  }))

const burstItems: ReadonlyArray<number> = Array.from({ length: BURST }, (_, i) => i)

/** Bursts: BURST fibers at once via `Effect.forEach`, awaited together, repeated. */
const effectBursts = (discard: boolean): Run => (deadline) =>
  Effect.runPromise(Effect.gen(function*() {
    let ops = 0
    while (performance.now() < deadline) {
      yield* Effect.forEach(burstItems, laterOp, { concurrency: "unbounded", discard })
      ops += BURST
    }
    return ops
  }))

/** LOOPS fibers, each an `Effect.gen` with a `while` inside: how keyslot's workers loop. */
const fiberLoops = (op: () => Effect.Effect<void>): Run => (deadline) => {
  const stop = stopAt(deadline)
  let ops = 0
  const worker = Effect.gen(function*() {
    while (!stop.stopped) {
      yield* op()
      ops++
    }
  })
  return Effect.runPromise(
    Effect.forEach(burstItems.slice(0, LOOPS), () => worker, { concurrency: "unbounded", discard: true }).pipe(
      Effect.map(() => ops)
    )
  )
}

/** Promise bursts: BURST promises from `make`, awaited with `Promise.all`, repeated. */
const promiseBursts = (make: (i: number) => Promise<unknown>): Run => async (deadline) => {
  let ops = 0
  const batch: Array<Promise<unknown>> = new Array(BURST)
  while (performance.now() < deadline) {
    for (let i = 0; i < BURST; i++) batch[i] = make(i)
    await Promise.all(batch)
    ops += BURST
  }
  return ops
}

/** LOOPS `async` loops, each awaiting a promise settled by the next batch: the Promise twin of case 2. */
const promiseLoops: Run = async (deadline) => {
  const stop = stopAt(deadline)
  let ops = 0
  const loop = async (): Promise<void> => {
    while (!stop.stopped) {
      await new Promise<void>(promiseBatch.add)
      ops++
    }
  }
  const loops: Array<Promise<void>> = []
  for (let i = 0; i < LOOPS; i++) loops.push(loop())
  await Promise.all(loops)
  return ops
}

/**
 * One wake-up at a time, each scheduling the next: what a write-coalescing flush pays per tick.
 * The clock is read every 1024 wake-ups because a microtask chain never lets a timer fire.
 */
const wakeUps = (schedule: (callback: () => void) => unknown): Run => (deadline) =>
  new Promise((resolve) => {
    let ops = 0
    const wake = (): void => {
      ops++
      if ((ops & 1023) === 0 && performance.now() >= deadline) resolve(ops)
      else schedule(wake)
    }
    schedule(wake)
  })

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly run: Run
}

// Built once: row 6c shows what building the span wrapper per call (row 6) costs on top.
const hoistedSpan = Effect.withSpan("x")

const cases: ReadonlyArray<Case> = [
  {
    name: "0. driver baseline: `yield* Effect.void` in an `Effect.gen` loop (subtract from 3–7a)",
    run: sequential(() => Effect.void)
  },
  {
    name: "1. `Effect.forEach` 1000 callbacks, `concurrency: \"unbounded\"`, one setImmediate batch (per element)",
    run: effectBursts(false)
  },
  {
    name: "1b. same, `discard: true` (per element)",
    run: effectBursts(true)
  },
  {
    name: "2. 100 fibers, `Effect.gen` + `while`, callback op resumed in setImmediate batches (per op)",
    run: fiberLoops(laterOp)
  },
  {
    name: "3. `Effect.forkChild(Effect.void)` + `Fiber.join`, sequential (per pair)",
    run: sequential(() => Effect.flatMap(Effect.forkChild(Effect.void), Fiber.join))
  },
  {
    name: "3b. same with `forkChild(…, { startImmediately: true })` (per pair)",
    run: sequential(() => Effect.flatMap(Effect.forkChild(Effect.void, { startImmediately: true }), Fiber.join))
  },
  {
    name: "4. `Deferred.make` + `Deferred.succeed` + `Deferred.await` (per triple)",
    run: sequential(() =>
      Effect.flatMap(
        Deferred.make<void>(),
        (deferred) => Effect.flatMap(Deferred.succeed(deferred, undefined), () => Deferred.await(deferred))
      )
    )
  },
  {
    name: "5. `Effect.timeout(Effect.succeed(1), \"1 second\")` (per call)",
    run: sequential(() => Effect.timeout(Effect.succeed(1), "1 second"))
  },
  {
    name: "5b. `Effect.timeoutOrElse(Effect.succeed(1), { duration: \"1 second\", orElse })` (per call)",
    run: sequential(() =>
      Effect.timeoutOrElse(Effect.succeed(1), { duration: "1 second", orElse: () => Effect.succeed(0) })
    )
  },
  {
    name: "6. `Effect.withSpan(\"x\")(Effect.void)`, default tracer (per call)",
    run: sequential(() => Effect.withSpan("x")(Effect.void))
  },
  {
    name: "6b. same with `{ captureStackTrace: false }` (per call)",
    run: sequential(() => Effect.withSpan("x", undefined, { captureStackTrace: false })(Effect.void))
  },
  {
    name: "6c. `withSpan(\"x\")` built once, applied per call (per call)",
    run: sequential(() => hoistedSpan(Effect.void))
  },
  {
    name: "7a. `Effect.callback` resumed synchronously inside register, 1 fiber (per call)",
    run: sequential(syncOp)
  },
  {
    name: "7b. `Effect.callback` resumed later, returns nothing (driver of 2, measured again) (per call)",
    run: fiberLoops(laterOp)
  },
  {
    name: "7c. `Effect.callback` resumed later, returns a canceler `Effect.void` (per call)",
    run: fiberLoops(laterOpWithCanceler)
  },
  {
    name: "7d. `Effect.callback` resumed later, register declares `signal` (per call)",
    run: fiberLoops(laterOpWithSignal)
  },
  {
    name: "8a. `Promise.all` of 1000 already-resolved promises (per element)",
    run: promiseBursts((i) => Promise.resolve(i))
  },
  {
    name: "8b. `Promise.all` of 1000 promises resolved in one setImmediate batch (per element)",
    run: promiseBursts(() => new Promise<void>(promiseBatch.add))
  },
  {
    name: "8c. 100 `async` loops awaiting a promise resolved in setImmediate batches (per op)",
    run: promiseLoops
  },
  {
    name: "9a. `queueMicrotask` wake-up, one at a time (per call)",
    run: wakeUps(queueMicrotask)
  },
  {
    name: "9b. `setImmediate` wake-up, one at a time (per call)",
    run: wakeUps(setImmediate)
  }
]

// ---------------------------------------------------------------------------------------------
// Measurement and report
// ---------------------------------------------------------------------------------------------

interface Round {
  readonly cpuPerOp: number
  readonly wallPerOp: number
  readonly opsPerSec: number
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc

const timedRound = async (run: Run): Promise<Round> => {
  // Collected before the clocks start, so the previous round's garbage is not billed to this one.
  gc?.()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const ops = await run(t0 + ROUND_MS)
  const wallUs = (performance.now() - t0) * 1000
  const cpu = process.cpuUsage(cpu0)
  return { cpuPerOp: (cpu.user + cpu.system) / ops, wallPerOp: wallUs / ops, opsPerSec: (ops * 1e6) / wallUs }
}

const fmtUs = (us: number): string => (us < 10 ? us.toFixed(3) : us.toFixed(1))
const fmtRate = (perSec: number): string => Math.round(perSec).toLocaleString("en-US")

const effectVersion = (): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../node_modules/effect/package.json", import.meta.url), "utf8"))
    return String((pkg as { version?: unknown }).version)
  } catch {
    return "unknown"
  }
}

const main = async (): Promise<void> => {
  if (gc === undefined) process.stderr.write("warning: run with --expose-gc, rounds then include earlier garbage\n")
  const rows: Array<readonly [string, Round]> = []
  for (const c of cases) {
    process.stderr.write(`${c.name}\n  warm-up ${WARMUP_MS} ms\n`)
    await c.run(performance.now() + WARMUP_MS)
    const rounds: Array<Round> = []
    for (let r = 0; r < ROUNDS; r++) {
      const round = await timedRound(c.run)
      rounds.push(round)
      process.stderr.write(`  round ${r + 1}: ${fmtUs(round.cpuPerOp)} µs CPU, ${fmtUs(round.wallPerOp)} µs wall\n`)
    }
    // Lowest CPU per op: the round least disturbed by the rest of the machine.
    const best = rounds.reduce((a, b) => (b.cpuPerOp < a.cpuPerOp ? b : a))
    rows.push([c.name, best])
  }

  const lines = [
    `Node ${process.version}, effect ${effectVersion()}, warm-up ${WARMUP_MS} ms, best of ${ROUNDS} rounds of ${ROUND_MS} ms (lowest CPU)`,
    "",
    "| operation | µs CPU per op | µs wall per op | ops/s |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map(([name, r]) => `| ${name} | ${fmtUs(r.cpuPerOp)} | ${fmtUs(r.wallPerOp)} | ${fmtRate(r.opsPerSec)} |`)
  ]
  process.stdout.write(lines.join("\n") + "\n")

  // Everything above settles before returning; a handle still open after 5 s is a leak, reported
  // and turned into a failure rather than a hang.
  setTimeout(() => {
    process.stderr.write(`still open after 5 s: ${process.getActiveResourcesInfo().join(", ")}\n`)
    process.exit(1)
  }, 5000).unref()
}

await main()
