/**
 * The chaos workload: workers issuing INCR on shared counters, SET of unique values, GET, and small
 * pipelines mixing the three, each call timed and handed to the `Checker`. A watchdog reports any
 * call still running long after its deadline (a hang) while the run goes on.
 */
import { Command } from "@keyslot/core"
import type { RedisCluster } from "@keyslot/core"
import { Effect, Fiber, Option, Result } from "effect"
import type { Checker, OpKind, Outcome, ReadSnapshot } from "./checker.js"
import { outcomeOf, outcomeOfFailure } from "./checker.js"
import * as Prng from "./prng.js"

/** The keys a phase works on. */
export interface Keyspace {
  readonly counters: ReadonlyArray<string>
  readonly registers: ReadonlyArray<string>
}

/** The keys of a phase: `prefix:ctr:i` and `prefix:kv:i`, spread over the slots by their hash. */
export const keyspace = (prefix: string, counters: number, registers: number): Keyspace => ({
  counters: Array.from({ length: counters }, (_, i) => `${prefix}:ctr:${i}`),
  registers: Array.from({ length: registers }, (_, i) => `${prefix}:kv:${i}`)
})

/** A running workload. */
export interface Workload {
  /** Successful commands so far (pipeline elements counted one by one). */
  readonly successes: () => number
  /**
   * Stops issuing, waits up to `graceMillis` for the calls in flight, and reports those still
   * running as hung (then interrupts them).
   */
  readonly stop: (graceMillis: number) => Effect.Effect<void>
}

interface InFlight {
  readonly what: string
  readonly startedAt: number
  reported: boolean
}

const opWeights = { incr: 35, set: 20, get: 25, pipeline: 20 } as const

type Element =
  | { readonly kind: "incr"; readonly key: string }
  | { readonly kind: "set"; readonly key: string }
  | { readonly kind: "get"; readonly key: string }

/**
 * Starts `workers` loops in the current scope. `hangAfterMillis`: how long past its start a call
 * counts as hung.
 */
export const start = (options: {
  readonly redis: RedisCluster.RedisClusterService
  readonly checker: Checker
  readonly keys: Keyspace
  readonly workers: number
  readonly seed: number
  readonly phase: string
  readonly hangAfterMillis: number
}) =>
  Effect.gen(function*() {
    const { checker, keys, redis } = options
    let running = true
    const inFlight: Array<InFlight | undefined> = []

    /** Times one call and hands its outcome to the checker through `settle`. */
    const timed = <A, E>(
      worker: number,
      kind: OpKind,
      what: string,
      effect: Effect.Effect<A, E>,
      settle: (outcome: Outcome, endedAt: number) => void
    ) =>
      Effect.suspend(() => {
        const startedAt = performance.now()
        const entry: InFlight = { what, startedAt, reported: false }
        inFlight[worker] = entry
        return Effect.map(Effect.exit(effect), (exit) => {
          const endedAt = performance.now()
          inFlight[worker] = undefined
          const outcome = outcomeOf(exit)
          checker.recordOp(kind, what, endedAt - startedAt, outcome)
          settle(outcome, endedAt)
        })
      })

    const element = (rng: Prng.Rng): Element => {
      const kind = rng.weighted({ incr: 2, set: 1, get: 1 })
      return { kind, key: kind === "incr" ? rng.pick(keys.counters) : rng.pick(keys.registers) }
    }

    const step = (rng: Prng.Rng, worker: number) => {
      const kind = rng.weighted(opWeights)
      switch (kind) {
        case "incr": {
          const key = rng.pick(keys.counters)
          return timed(worker, kind, `INCR ${key}`, redis.incr(key), (o) => checker.incr(key, o))
        }
        case "set": {
          const key = rng.pick(keys.registers)
          const write = checker.beginSet(key, performance.now())
          return timed(worker, kind, `SET ${write.value}`, redis.set(key, write.value), (o, at) => checker.endSet(key, write, o, at))
        }
        case "get": {
          const key = rng.pick(keys.registers)
          const snapshot = checker.beginGet(key)
          return timed(worker, kind, `GET ${key}`, redis.get(key), (o) => checker.endGet(snapshot, o))
        }
        case "pipeline": {
          const elements = Array.from({ length: rng.int(2, 5) }, () => element(rng))
          const startedAt = performance.now()
          // Registered before sending, as a single SET's value is.
          const writes = elements.map((e) => e.kind === "set" ? checker.beginSet(e.key, startedAt) : undefined)
          const snapshots = elements.map((e): ReadSnapshot | undefined => e.kind === "get" ? checker.beginGet(e.key) : undefined)
          const commands: ReadonlyArray<Command.Command<unknown>> = elements.map((e, i) =>
            e.kind === "incr" ? Command.incr(e.key) : e.kind === "set" ? Command.set(e.key, writes[i]!.value) : Command.get(e.key)
          )
          const what = `pipeline[${elements.map((e) => `${e.kind.toUpperCase()} ${e.key}`).join(", ")}]`
          return timed(worker, kind, what, redis.pipelineSettled(commands), (outcome, endedAt) => {
            elements.forEach((e, i) => {
              let own: Outcome
              if (outcome._tag !== "Ok") {
                // The whole call failed (refused before sending, or died): each element shares it.
                own = outcome
              } else {
                const results = outcome.value as ReadonlyArray<Result.Result<unknown, unknown>>
                const r = results[i]
                own = r === undefined
                  ? { _tag: "Untyped", detail: `pipeline gave ${results.length} results for ${elements.length} commands` }
                  : Result.isSuccess(r)
                  ? { _tag: "Ok", value: r.success }
                  : outcomeOfFailure(r.failure)
              }
              if (e.kind === "incr") checker.incr(e.key, own)
              else if (e.kind === "set") checker.endSet(e.key, writes[i]!, own, endedAt)
              else checker.endGet(snapshots[i]!, own)
            })
          })
        }
      }
    }

    const loop = (worker: number) =>
      Effect.gen(function*() {
        const rng = Prng.make(options.seed, `${options.phase}:worker:${worker}`)
        while (running) yield* step(rng, worker)
      })

    const fibers = yield* Effect.forEach(Array.from({ length: options.workers }, (_, w) => w), (w) => Effect.forkScoped(loop(w)))

    const sweep = () => {
      const now = performance.now()
      for (const entry of inFlight) {
        if (entry !== undefined && !entry.reported && now - entry.startedAt > options.hangAfterMillis) {
          entry.reported = true
          checker.recordHung(entry.what, now - entry.startedAt)
        }
      }
    }
    const watchdog = yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep("250 millis"), Effect.sync(sweep))))

    return {
      successes: () => checker.stats.succeeded,
      stop: (graceMillis: number) =>
        Effect.gen(function*() {
          running = false
          const joined = yield* Effect.timeoutOption(Fiber.joinAll(fibers), `${graceMillis} millis`)
          if (Option.isNone(joined)) {
            // Whatever is still running now has outlived every bound: a hang, whatever its age.
            const now = performance.now()
            for (const entry of inFlight) {
              if (entry !== undefined && !entry.reported) {
                entry.reported = true
                checker.recordHung(entry.what, now - entry.startedAt)
              }
            }
            yield* Fiber.interruptAll(fibers)
          }
          sweep()
          yield* Fiber.interrupt(watchdog)
        })
    } satisfies Workload
  })
