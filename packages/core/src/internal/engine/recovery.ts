/**
 * What to do about a failed attempt: the one place that decides, for every path (commands,
 * pipelines, transactions, scans, subscriptions), whether an error is followed as a redirect,
 * retried after its kind's schedule (and which topology refresh goes with it), or final.
 *
 * @internal
 */
import { Effect } from "effect"
import type * as ClusterError from "../../ClusterError.js"
import type { RefreshReason } from "../../Topology.js"
import type { RetryKind } from "./retry.js"
import type { TopologyEngine } from "./topology.js"

/**
 * The decision about one failure.
 *
 * - `Redirect`: a MOVED or ASK; follow it (`TopologyEngine.followRedirect`) and send again at once.
 * - `Retry`: a transient state; wait as `kind`'s schedule says, then route afresh. `refresh` is the
 *   topology refresh that goes with it; with `awaitRefresh` the new map is awaited first (the
 *   error says the map is wrong), otherwise it is only requested.
 * - `Fail`: final. `refresh`, when set, is still requested (a timeout may mean a replaced node).
 *
 * @since 0.1.0
 * @category models
 */
export type Recovery =
  | { readonly _tag: "Redirect" }
  | {
    readonly _tag: "Retry"
    readonly kind: RetryKind
    readonly refresh: RefreshReason | undefined
    readonly awaitRefresh: boolean
  }
  | { readonly _tag: "Fail"; readonly refresh: RefreshReason | undefined }

/**
 * What the caller knows about the attempt.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attempted {
  /** The command only reads: sending it twice does no harm. */
  readonly readOnly: boolean
  /** A blocking command: its timeout is the server's block running out, not a sign of a dead node. */
  readonly blocking?: boolean | undefined
  /**
   * The operation has no deadline of its own and is retried until it is refused (a subscription):
   * a timed-out attempt is one more transient failure.
   */
  readonly persistent?: boolean | undefined
  /**
   * The command ran, whatever the error says: an error inside EXEC's reply (the transaction's other
   * commands ran), or a script's own error reply (`ranScript`). Such an error is final.
   */
  readonly ran?: boolean | undefined
}

// Preallocated: deciding allocates nothing.
const redirect: Recovery = { _tag: "Redirect" }
const tryAgain: Recovery = { _tag: "Retry", kind: "tryAgain", refresh: undefined, awaitRefresh: false }
const loading: Recovery = { _tag: "Retry", kind: "loading", refresh: undefined, awaitRefresh: false }
const clusterDown: Recovery = { _tag: "Retry", kind: "clusterDown", refresh: "cluster-down", awaitRefresh: true }
const readOnlyReplica: Recovery = { _tag: "Retry", kind: "reconnect", refresh: "readonly", awaitRefresh: true }
const reconnect: Recovery = { _tag: "Retry", kind: "reconnect", refresh: "connection-lost", awaitRefresh: false }
const timedOutPersistent: Recovery = { _tag: "Retry", kind: "reconnect", refresh: "timeout", awaitRefresh: false }
const timedOut: Recovery = { _tag: "Fail", refresh: "timeout" }
const final: Recovery = { _tag: "Fail", refresh: undefined }

/**
 * Decides what to do about `error` (see `Recovery`).
 *
 * @since 0.1.0
 * @category decisions
 */
export const recoveryOf = (error: ClusterError.RedisClusterError, attempted: Attempted): Recovery => {
  if (attempted.ran === true) return final
  switch (error._tag) {
    case "MovedError":
    case "AskError":
      return redirect
    case "TryAgainError":
      return tryAgain
    case "LoadingError":
      return loading
    case "ClusterDownError":
    case "MasterDownError":
      return clusterDown
    case "ReadOnlyError":
      // A write reached a demoted master: the map is stale.
      return readOnlyReplica
    case "ConnectionError":
      // Written but unanswered: a write may have run, so only reads are sent again.
      return error.written === true && !attempted.readOnly ? final : reconnect
    case "TimeoutError":
      if (attempted.persistent === true) return timedOutPersistent
      // A node that stopped answering without closing (frozen, partitioned) may have been
      // replaced: the next commands must not keep waiting on it. A blocking command's timeout says
      // nothing about its node.
      return attempted.blocking === true ? final : timedOut
    default:
      return final
  }
}

/**
 * The topology refresh that goes with `recovery`: awaited when the error says the map is wrong
 * (`awaitRefresh`), otherwise only requested; nothing for a redirect (`followRedirect` does its own).
 *
 * @since 0.1.0
 * @category decisions
 */
export const refreshFor = (topology: Pick<TopologyEngine, "refresh" | "requestRefresh">, recovery: Recovery): Effect.Effect<void> => {
  if (recovery._tag === "Redirect") return Effect.void
  const reason = recovery.refresh
  if (reason === undefined) return Effect.void
  return recovery._tag === "Retry" && recovery.awaitRefresh
    ? Effect.asVoid(Effect.result(topology.refresh(reason)))
    : Effect.sync(() => topology.requestRefresh(reason))
}

/** Scripts and functions that may write; their `_RO` forms cannot. */
const WRITING_SCRIPTS = new Set(["EVAL", "EVALSHA", "FCALL"])

/**
 * `true` when `error` may be a write-capable script's own error reply (`redis.error_reply`) rather
 * than the server refusing to run it: TRYAGAIN, CLUSTERDOWN, MASTERDOWN and LOADING can be either,
 * and the script may have written before returning it, so running it again could apply its writes
 * twice. MOVED and ASK stay redirects (the server decides them before a script runs, and scripts
 * must keep working during a resharding); READONLY stays retryable (a replica refuses a script's
 * first write, so nothing was written).
 *
 * @since 0.1.0
 * @category decisions
 */
export const ranScript = (command: { readonly name: string }, error: ClusterError.RedisClusterError): boolean => {
  switch (error._tag) {
    case "TryAgainError":
    case "ClusterDownError":
    case "MasterDownError":
    case "LoadingError":
      return WRITING_SCRIPTS.has(command.name)
    default:
      return false
  }
}
