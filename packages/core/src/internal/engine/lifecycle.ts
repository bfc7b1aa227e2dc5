/**
 * Whether the client is still open. Closed first when the client's scope closes (before any
 * connection closes), so that every path fails at once with `ClientClosedError` instead of
 * waiting on connections, retries and refreshes that will never come back.
 *
 * @internal
 */
import { Deferred, Effect, Exit } from "effect"
import * as ClusterError from "../../ClusterError.js"

/**
 * The client's open/closed state, shared by its pool, topology and command paths.
 *
 * @since 0.1.0
 * @category models
 */
export class Lifecycle {
  closed = false
  private readonly signal = Deferred.makeUnsafe<void>()
  /** Completes when the client closes: a retry's wait races it, so it ends at once. */
  readonly whenClosed: Effect.Effect<void> = Deferred.await(this.signal)

  /** Marks the client closed (idempotent). */
  close(): void {
    if (this.closed) return
    this.closed = true
    Deferred.doneUnsafe(this.signal, Exit.void)
  }

  /** The error a command gets once the client is closed. */
  closedError(command?: string): ClusterError.ClientClosedError {
    return new ClusterError.ClientClosedError({ command })
  }
}
