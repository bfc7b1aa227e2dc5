/**
 * Micro-benchmark: keyslot's hand-rolled pub/sub `Inbox` (packages/core/src/internal/subscriber.ts)
 * against Effect 4's own `Queue`, as the buffer between a socket's data handler and a `Stream`.
 * Not a test, no harness, no Redis, no I/O.
 *
 *   cd bench && node --expose-gc --import tsx src/inboxVsQueue.ts
 *
 * Workload. A synchronous producer pushes bursts of BURSTS[i] messages, each burst from one
 * `setImmediate` callback (as one socket 'data' event would), into a buffer of CAPACITY with the
 * drop-oldest strategy. One fiber consumes the stream with `Stream.runForEachArray` and only counts
 * (plus a sequence check and one clock read per chunk for the delivery latency).
 *
 * Variants:
 *   - Inbox: `new Inbox(CAPACITY, "dropOldest", 1024, ...)` read by `Stream.fromPull(Effect.succeed(inbox.pull))`,
 *     exactly as `PubSub.listen` does. Wakes the consumer on a microtask.
 *   - Queue.sliding + `Queue.offerUnsafe` + `Stream.fromQueue` (= `fromPull(succeed(Queue.takeAll(q)))`),
 *     the queue made in the consumer fiber, so it wakes takers through the default scheduler's
 *     dispatcher (one `setImmediate`).
 *   - The same, but the queue is made under `Scheduler.MixedScheduler("sync")`, whose dispatcher
 *     wakes takers on a microtask (the Inbox's timing, through public API only).
 *   - baseline: no buffer; the producer does the consumer's per-message work itself. What is left
 *     over in the other rows is the buffer + stream + fiber cost.
 *
 * Method (as effectCosts.ts). Each variant × burst runs ≥ WARMUP_MS untimed, then ROUNDS timed rounds
 * of ROUND_MS of producing, each after a full GC and each ending when the consumer has drained. The
 * rounds of one burst size are interleaved across the variants, so load from elsewhere hits them alike.
 * CPU is `process.cpuUsage()` (user + system) per delivered message: steadier than wall time when
 * other processes compete for the cores. The table prints the round with the lowest CPU per message;
 * stderr lists every round.
 *
 * A correctness section first checks that every variant delivers every message exactly once and in
 * order when nothing overflows (and ends cleanly after the buffered messages), and that on overflow
 * both keep the newest CAPACITY messages.
 */
import { Inbox } from "../../packages/core/src/internal/pubsub/inbox.js"
import { Cause, Effect, Exit, Fiber, Queue, Scheduler, Stream } from "effect"
import type { Array as Arr } from "effect"
import { readFileSync } from "node:fs"

const WARMUP_MS = 1500
const ROUND_MS = 1500
const ROUNDS = 3
const CAPACITY = 10_000
/** `PubSub.listen` passes `Math.min(bufferSize, 1024)`. */
const MAX_CHUNK = Math.min(CAPACITY, 1024)
const BURSTS = [1, 16, 256] as const

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {})

// ---------------------------------------------------------------------------------------------
// Messages and the consumer
// ---------------------------------------------------------------------------------------------

/** One pub/sub message: a sequence number and the time its burst was pushed. */
interface Msg {
  readonly seq: number
  readonly t: number
}

/** What the consumer saw. */
class Sink {
  consumed = 0
  chunks = 0
  /** Messages whose seq is not the previous one + 1 (gaps from drops count too). */
  outOfOrder = 0
  nextSeq = 0
  /** Σ (now − push time of the chunk's first message), ms. */
  latencySum = 0

  /** The `runForEachArray` callback: counts, checks the sequence, returns `Effect.void`. */
  readonly onChunk = (chunk: Arr.NonEmptyReadonlyArray<Msg>): Effect.Effect<void> => {
    const n = chunk.length
    this.chunks++
    this.consumed += n
    this.latencySum += performance.now() - chunk[0].t
    let expect = this.nextSeq
    for (let i = 0; i < n; i++) {
      const seq = chunk[i]!.seq
      if (seq !== expect) this.outOfOrder++
      expect = seq + 1
    }
    this.nextSeq = expect
    return Effect.void
  }
}

// ---------------------------------------------------------------------------------------------
// Variants
// ---------------------------------------------------------------------------------------------

interface Handle {
  /** The data handler's push: synchronous, never waits. */
  readonly push: (m: Msg) => void
  /** Messages buffered. */
  readonly size: () => number
  /** Messages dropped so far (`undefined`: the buffer does not say). */
  readonly dropped: () => number | undefined
  /** Ends the stream after the buffered messages. */
  readonly end: () => void
  readonly fiber: Fiber.Fiber<void, unknown> | undefined
}

interface Variant {
  readonly name: string
  readonly open: (sink: Sink) => Handle
}

const inboxVariant: Variant = {
  name: "Inbox (dropOldest) + Stream.fromPull",
  open(sink) {
    let drops = 0
    const inbox = new Inbox<Msg, never>(CAPACITY, "dropOldest", MAX_CHUNK, () => {
      drops++
    }, () => {})
    const fiber = Effect.runFork(Stream.runForEachArray(Stream.fromPull(Effect.succeed(inbox.pull)), sink.onChunk))
    return {
      push: (m) => inbox.push(m),
      size: () => inbox.size,
      dropped: () => drops,
      end: () => inbox.end(),
      fiber
    }
  }
}

/** `microtask`: make the queue under a "sync" MixedScheduler, whose dispatcher wakes on a microtask. */
const queueVariant = (name: string, microtask: boolean): Variant => ({
  name,
  open(sink) {
    let queue: Queue.Queue<Msg, Cause.Done> | undefined
    const make = Queue.sliding<Msg, Cause.Done>(CAPACITY)
    const fiber = Effect.runFork(Effect.gen(function*() {
      const q = yield* (microtask ? Effect.provideService(make, Scheduler.Scheduler, new Scheduler.MixedScheduler("sync")) : make)
      queue = q
      yield* Stream.runForEachArray(Stream.fromQueue(q), sink.onChunk)
    }))
    // runFork evaluates synchronously up to the first suspension: the queue exists by now.
    if (queue === undefined) throw new Error("queue not created synchronously")
    const q = queue
    return {
      push: (m) => {
        Queue.offerUnsafe(q, m)
      },
      size: () => Queue.sizeUnsafe(q),
      dropped: () => undefined,
      end: () => {
        Queue.endUnsafe(q)
      },
      fiber
    }
  }
})

/** No buffer: the producer does the consumer's per-message work itself, one "chunk" per burst. */
const baselineVariant: Variant = {
  name: "baseline: no buffer (loop + producer)",
  open(sink) {
    let burstT = -1
    return {
      push: (m) => {
        if (m.t !== burstT) {
          burstT = m.t
          sink.chunks++
        }
        sink.consumed++
        if (m.seq !== sink.nextSeq) sink.outOfOrder++
        sink.nextSeq = m.seq + 1
      },
      size: () => 0,
      dropped: () => 0,
      end: () => {},
      fiber: undefined
    }
  }
}

const VARIANTS: ReadonlyArray<Variant> = [
  baselineVariant,
  inboxVariant,
  queueVariant("Queue.sliding + fromQueue (default dispatcher)", false),
  queueVariant("Queue.sliding + fromQueue (microtask dispatcher)", true)
]

// ---------------------------------------------------------------------------------------------
// Producer and drain
// ---------------------------------------------------------------------------------------------

class Producer {
  seq = 0
  constructor(readonly handle: Handle) {}

  /** Pushes `burst` messages per `setImmediate` until `ms` have passed. */
  run(burst: number, ms: number, maxBuffered = Infinity): Promise<void> {
    const h = this.handle
    return new Promise<void>((resolve) => {
      const deadline = performance.now() + ms
      const tick = (): void => {
        const t = performance.now()
        if (t >= deadline) return resolve()
        // `maxBuffered` (correctness check only): skip this turn rather than overflow.
        if (h.size() + burst <= maxBuffered) {
          for (let i = 0; i < burst; i++) h.push({ seq: this.seq++, t })
        }
        setImmediate(tick)
      }
      setImmediate(tick)
    })
  }

  /** Pushes `total` messages in bursts, never more than `maxBuffered` buffered. */
  runCount(burst: number, total: number, maxBuffered: number): Promise<void> {
    const h = this.handle
    return new Promise<void>((resolve) => {
      const tick = (): void => {
        if (this.seq >= total) return resolve()
        if (h.size() + burst <= maxBuffered) {
          const t = performance.now()
          const n = Math.min(burst, total - this.seq)
          for (let i = 0; i < n; i++) h.push({ seq: this.seq++, t })
        }
        setImmediate(tick)
      }
      setImmediate(tick)
    })
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Waits until every pushed message was delivered or dropped. */
const drain = async (sink: Sink, handle: Handle, pushed: number): Promise<void> => {
  const limit = performance.now() + 10_000
  for (;;) {
    if (handle.size() === 0) {
      const dropped = handle.dropped()
      if (sink.consumed + (dropped ?? 0) >= pushed) return
      if (dropped === undefined) {
        // Queue.sliding does not count drops: empty and two quiet turns means the consumer is done.
        const before = sink.consumed
        await nextTurn()
        await nextTurn()
        if (sink.consumed === before && handle.size() === 0) return
      }
    }
    if (performance.now() > limit) throw new Error(`drain timed out: pushed ${pushed}, consumed ${sink.consumed}, buffered ${handle.size()}`)
    await nextTurn()
  }
}

// ---------------------------------------------------------------------------------------------
// Correctness
// ---------------------------------------------------------------------------------------------

const awaitFiber = (fiber: Fiber.Fiber<void, unknown>) => Effect.runPromise(Effect.exit(Fiber.join(fiber)))

const checkInOrder = async (variant: Variant, burst: number, total: number): Promise<string> => {
  const sink = new Sink()
  const handle = variant.open(sink)
  const producer = new Producer(handle)
  await producer.runCount(burst, total, CAPACITY)
  handle.end()
  const exit = handle.fiber ? await awaitFiber(handle.fiber) : Exit.void
  const ok = Exit.isSuccess(exit) && sink.consumed === total && sink.outOfOrder === 0 && sink.nextSeq === total &&
    (handle.dropped() ?? 0) === 0
  return `${ok ? "ok  " : "FAIL"} ${variant.name}, burst ${burst}: pushed ${total}, delivered ${sink.consumed}, ` +
    `out of order ${sink.outOfOrder}, dropped ${handle.dropped() ?? "n/a"}, stream ${Exit.isSuccess(exit) ? "ended" : "failed"}, ` +
    `avg chunk ${(sink.consumed / Math.max(1, sink.chunks)).toFixed(1)}`
}

/** One data event of 2.5 × CAPACITY messages: drop-oldest must keep the newest CAPACITY, in order. */
const checkOverflow = async (variant: Variant): Promise<string> => {
  const sink = new Sink()
  const handle = variant.open(sink)
  const total = Math.floor(CAPACITY * 2.5)
  await nextTurn()
  const t = performance.now()
  for (let seq = 0; seq < total; seq++) handle.push({ seq, t })
  sink.nextSeq = total - CAPACITY
  handle.end()
  const exit = handle.fiber ? await awaitFiber(handle.fiber) : Exit.void
  const ok = Exit.isSuccess(exit) && sink.consumed === CAPACITY && sink.outOfOrder === 0 && sink.nextSeq === total
  return `${ok ? "ok  " : "FAIL"} ${variant.name}, overflow: pushed ${total} at once, delivered ${sink.consumed} ` +
    `(want the newest ${CAPACITY}), out of order ${sink.outOfOrder}, dropped ${handle.dropped() ?? "n/a"}`
}

// ---------------------------------------------------------------------------------------------
// Timed runs
// ---------------------------------------------------------------------------------------------

interface Round {
  readonly msgs: number
  readonly wallMs: number
  readonly cpuUs: number
  readonly chunks: number
  readonly latencyMs: number
  readonly dropped: number
  readonly outOfOrder: number
}

const timedRound = async (sink: Sink, producer: Producer, burst: number, ms: number): Promise<Round> => {
  const handle = producer.handle
  gc()
  await nextTurn()
  const m0 = sink.consumed
  const c0 = sink.chunks
  const l0 = sink.latencySum
  const o0 = sink.outOfOrder
  const d0 = handle.dropped() ?? 0
  const s0 = producer.seq
  const cpu0 = process.cpuUsage()
  const w0 = performance.now()
  await producer.run(burst, ms)
  await drain(sink, handle, producer.seq)
  const wallMs = performance.now() - w0
  const cpu = process.cpuUsage(cpu0)
  const msgs = sink.consumed - m0
  const pushed = producer.seq - s0
  return {
    msgs,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    chunks: sink.chunks - c0,
    latencyMs: sink.latencySum - l0,
    dropped: handle.dropped() !== undefined ? (handle.dropped()! - d0) : pushed - msgs,
    outOfOrder: sink.outOfOrder - o0
  }
}

interface Row {
  readonly variant: string
  readonly burst: number
  readonly best: Round
}

/**
 * One burst size, every variant: each warmed in turn, then the timed rounds interleaved (round 1 of
 * every variant, then round 2...), so a load change on the machine hits all variants alike.
 */
const measureBurst = async (variants: ReadonlyArray<Variant>, burst: number, log: (line: string) => void): Promise<Array<Row>> => {
  const runs = variants.map((variant) => {
    const sink = new Sink()
    const handle = variant.open(sink)
    return { variant, sink, handle, producer: new Producer(handle), rounds: [] as Array<Round> }
  })
  for (const run of runs) {
    await run.producer.run(burst, WARMUP_MS)
    await drain(run.sink, run.handle, run.producer.seq)
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const run of runs) run.rounds.push(await timedRound(run.sink, run.producer, burst, ROUND_MS))
  }
  const rows: Array<Row> = []
  for (const { variant, handle, rounds } of runs) {
    handle.end()
    if (handle.fiber) await awaitFiber(handle.fiber)
    for (const [i, r] of rounds.entries()) {
      log(
        `  ${variant.name} | burst ${burst} | round ${i + 1}: ${fmtRate(r.msgs / r.wallMs * 1000)} msg/s, ` +
          `${(r.cpuUs / r.msgs).toFixed(3)} µs CPU/msg, avg chunk ${(r.msgs / r.chunks).toFixed(1)}, ` +
          `dropped ${r.dropped}, out of order ${r.outOfOrder}`
      )
    }
    const best = rounds.reduce((a, b) => (b.cpuUs / b.msgs < a.cpuUs / a.msgs ? b : a))
    rows.push({ variant: variant.name, burst, best })
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Overflow path: synchronous pushes into a full buffer, no consumer
// ---------------------------------------------------------------------------------------------

const OVERFLOW_CHUNK = 10_000

const overflowCase = (name: string, make: () => (m: Msg) => void): { name: string; ns: number } => {
  const push = make()
  const m: Msg = { seq: 0, t: 0 }
  for (let i = 0; i < CAPACITY; i++) push(m)
  const runFor = (ms: number) => {
    let ops = 0
    const deadline = performance.now() + ms
    while (performance.now() < deadline) {
      for (let i = 0; i < OVERFLOW_CHUNK; i++) push(m)
      ops += OVERFLOW_CHUNK
    }
    return ops
  }
  runFor(WARMUP_MS)
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    gc()
    const cpu0 = process.cpuUsage()
    const ops = runFor(ROUND_MS)
    const cpu = process.cpuUsage(cpu0)
    best = Math.min(best, (cpu.user + cpu.system) * 1000 / ops)
  }
  return { name, ns: best }
}

const syncQueue = (strategy: "sliding" | "dropping") => Effect.runSync(Queue.make<Msg>({ capacity: CAPACITY, strategy }))

const inboxPush = (strategy: "dropOldest" | "dropNewest") => () => {
  let drops = 0
  const inbox = new Inbox<Msg, never>(CAPACITY, strategy, MAX_CHUNK, () => {
    drops++
  }, () => {})
  return (m: Msg) => inbox.push(m)
}

const overflowCases = () => [
  overflowCase("Inbox dropOldest (+ onDrop counter)", inboxPush("dropOldest")),
  overflowCase("Queue.sliding offerUnsafe", () => {
    const q = syncQueue("sliding")
    return (m) => {
      Queue.offerUnsafe(q, m)
    }
  }),
  overflowCase("Inbox dropNewest (+ onDrop counter)", inboxPush("dropNewest")),
  overflowCase("Queue.dropping offerUnsafe (+ count false)", () => {
    const q = syncQueue("dropping")
    let drops = 0
    return (m) => {
      if (!Queue.offerUnsafe(q, m)) drops++
    }
  })
]

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const fmtRate = (perSec: number): string =>
  perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(1)} k` : perSec.toFixed(0)

const pad = (s: string, n: number) => s.padEnd(n)
const padL = (s: string, n: number) => s.padStart(n)

const main = async () => {
  const out = (line: string) => process.stdout.write(line + "\n")
  const err = (line: string) => process.stderr.write(line + "\n")
  let effectVersion = "?"
  try {
    effectVersion = JSON.parse(readFileSync(new URL("../node_modules/effect/package.json", import.meta.url), "utf8")).version
  } catch {
    // leave "?"
  }
  out(`Inbox vs Effect Queue — node ${process.version}, effect ${effectVersion}, gc ${"gc" in globalThis ? "exposed" : "NOT exposed"}`)
  out(`capacity ${CAPACITY}, drop oldest (Queue: sliding), Inbox maxChunk ${MAX_CHUNK}; warm-up ${WARMUP_MS} ms, ${ROUNDS} rounds × ${ROUND_MS} ms, best round by CPU/msg`)

  out(`\n== correctness ==`)
  for (const v of VARIANTS.slice(1)) {
    for (const burst of BURSTS) out(await checkInOrder(v, burst, 200_000))
    out(await checkOverflow(v))
  }

  out(`\n== throughput: bursts from setImmediate, one consumer fiber (runForEachArray) ==`)
  const rows: Array<Row> = []
  for (const burst of BURSTS) rows.push(...await measureBurst(VARIANTS, burst, err))
  const W = 50
  out(
    `${pad("variant", W)} ${padL("burst", 5)} ${padL("msg/s", 10)} ${padL("CPU µs/msg", 11)} ${padL("avg chunk", 10)} ` +
      `${padL("− baseline", 10)} ${padL("latency µs", 11)} ${padL("dropped", 8)} ${padL("order err", 9)}`
  )
  for (const burst of BURSTS) {
    const base = rows.find((r) => r.burst === burst && r.variant === baselineVariant.name)!.best
    for (const row of rows.filter((r) => r.burst === burst)) {
      const b = row.best
      out(
        `${pad(row.variant, W)} ${padL(String(burst), 5)} ${padL(fmtRate(b.msgs / b.wallMs * 1000), 10)} ` +
          `${padL((b.cpuUs / b.msgs).toFixed(3), 11)} ${padL((b.msgs / b.chunks).toFixed(1), 10)} ` +
          `${padL((b.cpuUs / b.msgs - base.cpuUs / base.msgs).toFixed(3), 10)} ` +
          `${padL((b.latencyMs * 1000 / b.chunks).toFixed(1), 11)} ${padL(String(b.dropped), 8)} ${padL(String(b.outOfOrder), 9)}`
      )
    }
  }
  out(`(− baseline: CPU µs/msg above the no-buffer row, i.e. the buffer + stream + fiber cost; latency: mean per chunk,`)
  out(` push of the chunk's first message → the consumer sees it)`)

  out(`\n== overflow path: synchronous push into a full buffer (no consumer) ==`)
  for (const c of overflowCases()) out(`${pad(c.name, W)} ${padL(c.ns.toFixed(1), 8)} ns CPU/push`)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
