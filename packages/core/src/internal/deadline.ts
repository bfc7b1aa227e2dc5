/**
 * Deadlines of commands, pipelines, transactions and retries, all on one monotonic clock
 * (`performance.now`): a wall-clock step (NTP, a resumed VM) must neither expire every command at
 * once nor stretch their deadlines. A deadline is a time on that clock, `0` for none.
 *
 * @internal
 */

/**
 * Now, in milliseconds on the monotonic clock every deadline uses.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const now = (): number => performance.now()

/**
 * The deadline `timeoutMillis` from now; `0` (no timeout) gives `0` (no deadline).
 *
 * @since 0.1.0
 * @category deadlines
 */
export const after = (timeoutMillis: number): number => from(performance.now(), timeoutMillis)

/**
 * The deadline of an operation that began at `startedAt` (`now()`) with `timeoutMillis`; `0` for
 * no timeout.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const from = (startedAt: number, timeoutMillis: number): number => (timeoutMillis === 0 ? 0 : startedAt + timeoutMillis)

/**
 * Whole milliseconds left before `deadline` (rounded up; 0 or negative once it passed);
 * `undefined` when there is none.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const left = (deadline: number): number | undefined => (deadline === 0 ? undefined : Math.ceil(deadline - performance.now()))

/**
 * The timeout to give one step of an operation that had `budget` ms when it began at `startedAt`
 * (`now()`): what is left of it, at least 1 ms so a step is never sent with "no deadline" by
 * accident; `fallback` when the budget is 0 (no deadline).
 *
 * @since 0.1.0
 * @category deadlines
 */
export const stepTimeout = <F>(budget: number, startedAt: number, fallback: F): number | F =>
  budget === 0 ? fallback : Math.max(1, Math.ceil(startedAt + budget - performance.now()))
