/**
 * Stepping the retry `Schedule`s of one operation (a command, a pipeline, a transaction): one
 * driver per kind of failure, created on first use, each wait cut short by the operation's deadline.
 *
 * @internal
 */
import { Duration, Effect, Option, Schedule } from "effect"
import type { ScheduleDriver } from "effect/Schedule"
import type { RetryPolicies } from "../RetryPolicy.js"

/** A kind of transient failure, each with its own schedule. */
export type RetryKind = keyof RetryPolicies

/** The retry state of one operation. */
export class Retries {
  private readonly drivers: Partial<Record<RetryKind, ScheduleDriver<unknown, unknown, never>>> = {}
  /** `deadline` is a `Date.now()` time, 0 for none. */
  constructor(readonly policies: RetryPolicies, readonly deadline: number) {}

  /** Milliseconds left before the deadline (`undefined`: no deadline). */
  remaining(): number | undefined {
    return this.deadline === 0 ? undefined : this.deadline - Date.now()
  }

  /**
   * Waits as the kind's schedule says. `false` when the schedule is exhausted or the deadline
   * passes first: the caller then gives up with the error it has.
   */
  wait(kind: RetryKind, error: unknown): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      let driver = this.drivers[kind]
      const start = driver === undefined
        ? Effect.tap(Schedule.driver(this.policies[kind]), (d) => {
          this.drivers[kind] = d
        })
        : Effect.succeed(driver)
      return Effect.flatMap(start, (d) => {
        driver = d
        const left = this.remaining()
        if (left !== undefined && left <= 0) return Effect.succeed(false)
        const step = Effect.map(Effect.option(d.next(error)), Option.isSome)
        return left === undefined
          ? step
          : Effect.timeoutTo(step, { duration: Duration.millis(left), onSuccess: (ok) => ok, onTimeout: () => false })
      })
    })
  }
}
