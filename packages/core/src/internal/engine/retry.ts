/**
 * Stepping the retry `Schedule`s of one operation (a command, a pipeline, a transaction): one
 * step function per kind of failure, created on first use, each wait cut short by the operation's
 * deadline.
 *
 * @internal
 */
import { Duration, Effect, Schedule } from "effect"
import type { Pull } from "effect"
import type { RetryPolicies } from "../../RetryPolicy.js"
import * as Deadline from "../deadline.js"
import type { Lifecycle } from "./lifecycle.js"

/**
 * A kind of transient failure, each with its own schedule.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryKind = keyof RetryPolicies

type Step = (input: unknown) => Pull.Pull<unknown, never, unknown>

const isTrue = () => true
const isFalse = () => false
const proceed = { onSuccess: isTrue, onFailure: isFalse }

/**
 * The retry state of one operation.
 *
 * @since 0.1.0
 * @category models
 */
export class Retries {
  private readonly steps: Partial<Record<RetryKind, Step>> = {}
  /** `deadline` is a `Deadline` time, 0 for none; a wait ends at once when `life` closes. */
  constructor(readonly policies: RetryPolicies, readonly deadline: number, readonly life: Lifecycle) {}

  /** Milliseconds left before the deadline (`undefined`: no deadline). */
  remaining(): number | undefined {
    return Deadline.left(this.deadline)
  }

  /**
   * Waits as the kind's schedule says. `false` when the schedule is exhausted (its step ends with
   * `Cause.Done`), the deadline passes first, or the client closes: the caller then gives up.
   */
  wait(kind: RetryKind, error: unknown): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (this.life.closed) return Effect.succeed(false)
      const known = this.steps[kind]
      const start: Effect.Effect<Step> = known === undefined
        ? Effect.map(Schedule.toStepWithSleep(this.policies[kind]), (s): Step => (this.steps[kind] = s))
        : Effect.succeed(known)
      return Effect.flatMap(start, (step) => {
        const left = this.remaining()
        if (left !== undefined && left <= 0) return Effect.succeed(false)
        const next = Effect.raceFirst(Effect.match(step(error), proceed), Effect.as(this.life.whenClosed, false))
        return left === undefined
          ? next
          : Effect.timeoutOrElse(next, { duration: Duration.millis(left), orElse: () => Effect.succeed(false) })
      })
    })
  }
}
