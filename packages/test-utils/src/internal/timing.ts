/**
 * Real-time waiting. The fixtures run inside test runtimes that provide a `TestClock`
 * (`@effect/vitest`'s `it.effect`, `layer(...)`), where `Effect.sleep` would never wake up, so every
 * wait here uses Node's timers and `Date.now()` directly.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

/**
 * Sleeps `ms` milliseconds of wall-clock time, interruptibly. @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const sleep = (ms: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Wall-clock milliseconds. @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const now = (): number => Date.now()
