/**
 * Workload drivers. Peers are driven by plain Promise loops (what their users write); keyslot by
 * fibers (what Effect users write). Every driver counts completed commands until `stop.stopped`.
 */
import { Effect } from "effect"
import type { Stop } from "./harness.js"

// ---------------------------------------------------------------------------------------------
// Promise drivers (peers)
// ---------------------------------------------------------------------------------------------

/**
 * `workers` concurrent loops, each awaiting its operation before issuing the next (a closed loop:
 * exactly `workers` operations in flight). `perOp` commands are counted per operation.
 */
export const promiseWorkers = (workers: number, op: () => Promise<unknown>, perOp = 1) => (stop: Stop) =>
  Effect.promise(async () => {
    let ops = 0
    const worker = async () => {
      while (!stop.stopped) {
        await op()
        ops += perOp
      }
    }
    const all: Array<Promise<void>> = []
    for (let i = 0; i < workers; i++) all.push(worker())
    await Promise.all(all)
    return ops
  })

/** Bursts: `size` operations issued at once, awaited together with `Promise.all`, repeated. */
export const promiseBursts = (size: number, op: (i: number) => Promise<unknown>) => (stop: Stop) =>
  Effect.promise(async () => {
    let ops = 0
    const batch: Array<Promise<unknown>> = new Array(size)
    while (!stop.stopped) {
      for (let i = 0; i < size; i++) batch[i] = op(i)
      await Promise.all(batch)
      ops += size
    }
    return ops
  })

// ---------------------------------------------------------------------------------------------
// Effect drivers (keyslot)
// ---------------------------------------------------------------------------------------------

/** How a keyslot fiber loops over its command. The harness can measure each. */
export type LoopStyle = "gen" | "whileLoop" | "repeat"

export const loopStyles: ReadonlyArray<LoopStyle> = ["gen", "whileLoop", "repeat"]

/** One fiber's loop: runs `op()` until stopped, adding `perOp` to `count.ops` per completion. */
const fiberLoop = <E>(style: LoopStyle, stop: Stop, count: { ops: number }, op: () => Effect.Effect<unknown, E>, perOp: number): Effect.Effect<void, E> => {
  switch (style) {
    case "gen":
      // What most users write: a generator with a plain `while` inside (one generator per fiber).
      return Effect.gen(function*() {
        while (!stop.stopped) {
          yield* op()
          count.ops += perOp
        }
      })
    case "whileLoop":
      return Effect.whileLoop({
        while: () => !stop.stopped,
        body: op,
        step: () => {
          count.ops += perOp
        }
      })
    case "repeat":
      // Effect 4's `tap` takes an Effect only; `map` is the one-primitive equivalent of v3's `tap(() => void)`.
      return Effect.suspend(op).pipe(
        Effect.map(() => {
          count.ops += perOp
        }),
        Effect.repeat({ while: () => !stop.stopped }),
        Effect.asVoid
      )
  }
}

/** `workers` fibers, each a closed loop over `op()`. */
export const effectWorkers = <E>(style: LoopStyle, workers: number, op: () => Effect.Effect<unknown, E>, perOp = 1) => (stop: Stop) =>
  Effect.suspend(() => {
    const count = { ops: 0 }
    const loop = fiberLoop(style, stop, count, op, perOp)
    if (workers === 1) return Effect.map(loop, () => count.ops)
    const fibers: Array<Effect.Effect<void, E>> = new Array(workers).fill(loop)
    return Effect.all(fibers, { concurrency: "unbounded", discard: true }).pipe(Effect.map(() => count.ops))
  })

/** One Effect carrying `size` commands (a pipeline, an MGET), run again and again; counts `size` per run. */
export const effectBatches = <E>(size: number, batch: () => Effect.Effect<unknown, E>) => (stop: Stop) =>
  Effect.suspend(() => {
    let ops = 0
    return Effect.whileLoop({
      while: () => !stop.stopped,
      body: batch,
      step: () => {
        ops += size
      }
    }).pipe(Effect.map(() => ops))
  })

/** Bursts: `size` effects run at once with `Effect.forEach(..., { concurrency: "unbounded" })`, repeated. */
export const effectBursts = <E>(style: LoopStyle, size: number, op: (i: number) => Effect.Effect<unknown, E>) => (stop: Stop) =>
  Effect.suspend(() => {
    const count = { ops: 0 }
    const indices = Array.from({ length: size }, (_, i) => i)
    const burst = () => Effect.forEach(indices, op, { concurrency: "unbounded", discard: true })
    return Effect.map(fiberLoop(style, stop, count, burst, size), () => count.ops)
  })

/**
 * A stand-in for a connection that does no I/O: each call suspends its fiber in an `Effect.callback`,
 * and all fibers waiting are resumed together from one `setImmediate`, the way a socket's data
 * event resumes the commands it answers. Driven by `effectBursts`, it measures what Effect itself
 * costs per element of `Effect.forEach(..., { concurrency: "unbounded" })`: the ceiling of any
 * client driven that way, whatever its own per-command cost.
 */
export const noIoCommand = (): (() => Effect.Effect<void>) => {
  let waiting: Array<(effect: Effect.Effect<void>) => void> = []
  const resumeAll = () => {
    const batch = waiting
    waiting = []
    for (let i = 0; i < batch.length; i++) batch[i]!(Effect.void)
  }
  // One parameter only: with two, Effect 4 allocates an AbortController per call for the signal.
  const command = Effect.callback<void>((resume) => {
    if (waiting.push(resume) === 1) setImmediate(resumeAll)
  })
  return () => command
}
