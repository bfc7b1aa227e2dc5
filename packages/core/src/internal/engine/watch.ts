/**
 * Optimistic locking: `WATCH` on a dedicated connection to the keys' node, the user's reads on that
 * same connection, then `MULTI`/`EXEC`. A nil `EXEC` (a watched key changed) runs the whole user
 * function again per a Schedule, then fails with `WatchError { reason: "conflict" }`. A MOVED while
 * watching fails with `WatchError { reason: "slot-moved" }` (the watch would be on the wrong node):
 * never a silent retry elsewhere. The connection goes back to the pool without a WATCH on it: every
 * exit without an answered EXEC sends UNWATCH, and a connection whose UNWATCH is not confirmed is
 * closed instead, so a later, unrelated `watch` on it never sees a false conflict.
 *
 * @internal
 */
import { Cause, Effect, Exit, Result, Schedule } from "effect"
import * as ClusterError from "../../ClusterError.js"
import { backoff } from "../../RetryPolicy.js"
import type * as NodeConnection from "../../NodeConnection.js"
import type { TopologyEngine } from "./topology.js"
import type { BlockingPool } from "./blocking.js"
import type { Arg, Command } from "../command/command.js"
import { key } from "../command/command.js"
import * as R from "../command/reply.js"
import { ReplyShape } from "../command/reply.js"

type Failure = ClusterError.RedisClusterError

/**
 * What the user's function gets while watching.
 *
 * @since 0.1.0
 * @category models
 */
export interface WatchContext {
  /** Runs a command on the watching connection (reads of the watched keys, typically). */
  readonly execute: <A>(command: Command<A>) => Effect.Effect<A, Failure>
  /** `MULTI` … `EXEC` on the watching connection; a watched key changed → the function runs again. */
  readonly transaction: (commands: ReadonlyArray<Command<unknown>>) => Effect.Effect<ReadonlyArray<unknown>, Failure>
}

/**
 * What `watch` needs from the batch engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface WatchDeps {
  readonly blocking: BlockingPool
  readonly topology: TopologyEngine
  readonly commandTimeoutMillis: number
  readonly transactionSlot: (commands: ReadonlyArray<Command<unknown>>) => number | Failure
  readonly execOn: (
    connection: NodeConnection.NodeConnection,
    commands: ReadonlyArray<Command<unknown>>,
    asking: boolean,
    timeout: number | undefined
  ) => Effect.Effect<Result.Result<ReadonlyArray<unknown> | null, Failure>>
}

/**
 * The default: a conflict is retried 10 times with a short jittered backoff.
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultWatchRetry: Schedule.Schedule<unknown, unknown> = backoff("5 millis", "100 millis", 10)

/**
 * How long the clean-up UNWATCH may take when `commandTimeout` is 0 (no limit): closing the
 * connection is always a correct fallback, so a stuck node must not hold the caller's exit.
 */
const UNWATCH_BOUND_MILLIS = 5_000

/** Marks the conflicts this module raises, so a user's own WatchError is never retried. */
const conflicts = new WeakSet<object>()

const toText = (k: Arg): string => typeof k === "string" ? k : Buffer.from(k).toString("utf8")

/**
 * Builds `watch`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (deps: WatchDeps) =>
  <A, E, R>(
    keys: ReadonlyArray<Arg>,
    body: (tx: WatchContext) => Effect.Effect<A, E, R>,
    retry: Schedule.Schedule<unknown, unknown> = defaultWatchRetry
  ): Effect.Effect<A, E | Failure, R> => {
    const names = keys.map(toText)
    const watchCommand = key("WATCH", ["WATCH", ...keys], keys, 0, R.ok)
    const slot = deps.transactionSlot([watchCommand])
    if (typeof slot !== "number") return Effect.fail(slot)
    let attempts = 0

    const slotMoved = (error: Failure): Failure => {
      if (error._tag === "MovedError" || error._tag === "AskError") {
        // The map learns of it as everywhere else; the watched keys' slot moved, so the body's
        // reads may be stale: the caller decides whether to run it again.
        deps.topology.noteRedirect(error)
        return new ClusterError.WatchError({ keys: names, reason: "slot-moved", attempts })
      }
      return error
    }

    const once = Effect.gen(function*() {
      attempts++
      const shard = deps.topology.current().slots[slot === -1 ? 0 : slot]
      if (shard === undefined) return yield* Effect.fail(new ClusterError.SlotNotCoveredError({ slot, command: "WATCH" }))
      return yield* deps.blocking.withConnection(shard.master, "WATCH", (connection, discard) => {
        const timeout = deps.commandTimeoutMillis
        // EXEC answered (an array or nil): the server dropped the WATCH itself.
        let unwatched = false
        const tx: WatchContext = {
          execute: <X>(command: Command<X>) =>
            Effect.flatMap(Effect.mapError(connection.send(command.args, command.bytes, timeout), slotMoved), (reply) => {
              const value = command.decode(reply)
              return value instanceof ReplyShape
                ? Effect.fail(new ClusterError.ProtocolError({ ...connection.endpoint, command: command.name, reason: value.reason }))
                : Effect.succeed(value)
            }),
          transaction: (commands) =>
            Effect.gen(function*() {
              const own = deps.transactionSlot([watchCommand, ...commands])
              if (typeof own !== "number") return yield* Effect.fail(own)
              const outcome = yield* deps.execOn(connection, commands, false, timeout)
              if (Result.isFailure(outcome)) return yield* Effect.fail(slotMoved(outcome.failure))
              unwatched = true
              if (outcome.success === null) {
                const conflict = new ClusterError.WatchError({ keys: names, reason: "conflict", attempts })
                conflicts.add(conflict)
                return yield* Effect.fail(conflict)
              }
              return outcome.success
            })
        }
        /**
         * The connection goes back to the pool for the next `watch` or blocking command: a WATCH
         * left on it would make an unrelated later transaction fail as a conflict. So on every
         * exit without an answered EXEC (the body failed, died, was interrupted, or never called
         * `transaction`), UNWATCH; when that is not confirmed, the connection is closed instead.
         */
        const cleanUp = (exit: Exit.Exit<unknown, unknown>) => {
          if (unwatched) return Effect.void
          // Interrupted or died: the pool closes it anyway, and a reply may still be on its way.
          if (Exit.isFailure(exit) && (Cause.hasInterrupts(exit.cause) || Cause.hasDies(exit.cause))) {
            return Effect.sync(discard)
          }
          return connection.send(["UNWATCH"], false, timeout === 0 ? UNWATCH_BOUND_MILLIS : timeout).pipe(
            Effect.matchEffect({ onFailure: () => Effect.sync(discard), onSuccess: () => Effect.void })
          )
        }
        return Effect.gen(function*() {
          yield* Effect.mapError(connection.send(watchCommand.args, false, timeout), slotMoved)
          return yield* body(tx)
        }).pipe(Effect.onExit(cleanUp))
      })
    })

    const isConflict = (e: unknown): e is ClusterError.WatchError => typeof e === "object" && e !== null && conflicts.has(e)
    return once.pipe(
      Effect.retry({ schedule: retry, while: isConflict }),
      Effect.mapError((e) => isConflict(e) ? new ClusterError.WatchError({ keys: names, reason: "conflict", attempts }) : e)
    ) as Effect.Effect<A, E | Failure, R>
  }
