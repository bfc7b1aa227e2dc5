/**
 * Workload drivers for fault tests: N workers issuing commands until told to stop, recording every
 * outcome with its latency, so a test can assert what a user would have seen.
 */
import type { ClusterError } from "@keyslot/core"
import { Array as Arr, Cause, Effect, Exit, Fiber, Ref } from "effect"

/** One command's outcome. */
export interface Outcome {
  readonly worker: number
  readonly seq: number
  readonly startedAt: number
  readonly millis: number
  readonly error: ClusterError.RedisClusterError | undefined
}

/** The error of a cause that is exactly one typed failure (v3's `cause._tag === "Fail"`), else `undefined`. */
const typedFailure = <E>(cause: Cause.Cause<E>): E | undefined => {
  const [reason, ...rest] = cause.reasons
  return reason !== undefined && rest.length === 0 && Cause.isFailReason(reason) ? reason.error : undefined
}

/** A running workload. */
export interface Workload {
  /** Stop issuing commands, wait for the ones in flight, return every outcome. */
  readonly stop: Effect.Effect<ReadonlyArray<Outcome>>
  /** Outcomes so far. */
  readonly outcomes: Effect.Effect<ReadonlyArray<Outcome>>
}

/**
 * Starts `workers` loops; each runs `op(worker, seq)` one after another until stopped. The loops
 * run in the caller's scope.
 */
export const start = <E extends ClusterError.RedisClusterError>(
  workers: number,
  op: (worker: number, seq: number) => Effect.Effect<unknown, E>
): Effect.Effect<Workload> =>
  Effect.gen(function*() {
    const outcomes = yield* Ref.make<Array<Outcome>>([])
    const running = yield* Ref.make(true)
    const loop = (worker: number) =>
      Effect.gen(function*() {
        let seq = 0
        while (yield* Ref.get(running)) {
          const startedAt = Date.now()
          const exit = yield* Effect.exit(op(worker, seq))
          const error = Exit.isFailure(exit) ? typedFailure(exit.cause) : undefined
          if (Exit.isFailure(exit) && error === undefined) throw new Error(`defect: ${String(exit.cause)}`)
          const outcome: Outcome = { worker, seq, startedAt, millis: Date.now() - startedAt, error }
          yield* Ref.update(outcomes, (all) => {
            all.push(outcome)
            return all
          })
          seq++
        }
      })
    const fibers = yield* Effect.forEach(Arr.range(0, workers - 1), (w) => Effect.forkChild(loop(w)))
    return {
      stop: Effect.gen(function*() {
        yield* Ref.set(running, false)
        yield* Effect.forEach(fibers, Fiber.join, { discard: true }).pipe(Effect.orDie)
        return yield* Ref.get(outcomes)
      }),
      outcomes: Ref.get(outcomes)
    }
  })

/** Waits until the workload completed at least `n` more commands without error. */
export const waitForSuccesses = (workload: Workload, n: number, timeoutMs = 20_000) =>
  Effect.gen(function*() {
    const base = (yield* workload.outcomes).filter((o) => o.error === undefined).length
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const ok = (yield* workload.outcomes).filter((o) => o.error === undefined).length
      if (ok - base >= n) return
      yield* Effect.sleep("20 millis")
    }
    throw new Error(`workload did not complete ${n} more commands within ${timeoutMs} ms`)
  })

/** A short summary of errors for assertion messages. */
export const describeErrors = (outcomes: ReadonlyArray<Outcome>): string =>
  outcomes
    .filter((o) => o.error !== undefined)
    .slice(0, 10)
    .map((o) => `${o.error!._tag}: ${o.error!.message}`)
    .join("\n")
