/**
 * The `Schedule`s that pace retries of transient cluster states. Each is user-overridable through
 * the `retry` option; a schedule's end means "give up": the last error reaches the caller. Every
 * retry is also bounded by the command's `commandTimeout`.
 *
 * @since 0.1.0
 */
import { Duration, Schedule } from "effect"

/**
 * A retry schedule: fed the error that caused the retry, its delays pace the attempts.
 *
 * @since 0.1.0
 * @category models
 */
export type RetrySchedule = Schedule.Schedule<unknown, unknown>

/**
 * One schedule per class of transient failure.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicies {
  /** `-TRYAGAIN` (multi-key command on a slot being migrated). */
  readonly tryAgain: RetrySchedule
  /** `-CLUSTERDOWN`, `-MASTERDOWN` (after a topology refresh). */
  readonly clusterDown: RetrySchedule
  /** `-LOADING` (a node loading its dataset). */
  readonly loading: RetrySchedule
  /** Connection refused or lost before the command was written; `-READONLY` after a failover. */
  readonly reconnect: RetrySchedule
}

/**
 * Exponential backoff from `base`, each delay at most `cap`, jittered, at most `times` retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const backoff = (base: Duration.Input, cap: Duration.Input, times: number): RetrySchedule =>
  Schedule.max([Schedule.jittered(Schedule.min([Schedule.exponential(base, 2), Schedule.spaced(cap)])), Schedule.recurs(times)])

/**
 * The defaults: TRYAGAIN every ~10–200 ms (a migration finishes quickly), CLUSTERDOWN
 * `clusterDownRetryAttempts` times from 100 ms, LOADING from 100 ms up to 1 s for a minute, and
 * reconnects from 25 ms up to 500 ms (a failover takes 1–3 s with a 1 s node timeout).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults = (clusterDownRetryAttempts: number): RetryPolicies => ({
  tryAgain: backoff("10 millis", "200 millis", 50),
  clusterDown: backoff("100 millis", "1 second", clusterDownRetryAttempts),
  loading: backoff("100 millis", "1 second", 60),
  reconnect: backoff("25 millis", "500 millis", 1000)
})

/**
 * The defaults with the user's overrides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  clusterDownRetryAttempts: number,
  overrides: { readonly [K in keyof RetryPolicies]?: RetrySchedule | undefined }
): RetryPolicies => {
  const d = defaults(clusterDownRetryAttempts)
  return {
    tryAgain: overrides.tryAgain ?? d.tryAgain,
    clusterDown: overrides.clusterDown ?? d.clusterDown,
    loading: overrides.loading ?? d.loading,
    reconnect: overrides.reconnect ?? d.reconnect
  }
}
