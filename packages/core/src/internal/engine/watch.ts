/**
 * Optimistic locking: `WATCH` on a dedicated connection to the keys' node, the user's reads on that
 * same connection, then `MULTI`/`EXEC`. A nil `EXEC` (a watched key changed) runs the whole user
 * function again per a Schedule, then fails with `WatchError { reason: "conflict" }`. A MOVED while
 * watching fails with `WatchError { reason: "slot-moved" }` (the watch would be on the wrong node):
 * never a silent retry elsewhere.
 *
 * @internal
 */
import { Effect, Result, Schedule } from "effect"
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
        deps.topology.followRedirect(error)
        return new ClusterError.WatchError({ keys: names, reason: "slot-moved", attempts })
      }
      return error
    }

    const once = Effect.gen(function*() {
      attempts++
      const shard = deps.topology.current().slots[slot === -1 ? 0 : slot]
      if (shard === undefined) return yield* Effect.fail(new ClusterError.SlotNotCoveredError({ slot, command: "WATCH" }))
      return yield* deps.blocking.withConnection(shard.master, "WATCH", (connection) =>
        Effect.gen(function*() {
          const timeout = deps.commandTimeoutMillis
          yield* Effect.mapError(connection.send(watchCommand.args, false, timeout), slotMoved)
          let finished = false
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
                finished = true
                if (Result.isFailure(outcome)) return yield* Effect.fail(slotMoved(outcome.failure))
                if (outcome.success === null) {
                  const conflict = new ClusterError.WatchError({ keys: names, reason: "conflict", attempts })
                  conflicts.add(conflict)
                  return yield* Effect.fail(conflict)
                }
                return outcome.success
              })
          }
          const result = yield* body(tx)
          // EXEC unwatches; without it the connection must be clean before it is reused.
          if (!finished) yield* connection.send(["UNWATCH"], false, timeout)
          return result
        }))
    })

    const isConflict = (e: unknown): e is ClusterError.WatchError => typeof e === "object" && e !== null && conflicts.has(e)
    return once.pipe(
      Effect.retry({ schedule: retry, while: isConflict }),
      Effect.mapError((e) => isConflict(e) ? new ClusterError.WatchError({ keys: names, reason: "conflict", attempts }) : e)
    ) as Effect.Effect<A, E | Failure, R>
  }
