/**
 * Dedicated connections for blocking commands (BLPOP, XREAD BLOCK, WAIT...), so they never stall
 * the shared multiplexed connection: per node at most `max`, a caller waits at most `waitMillis`
 * for one (redis-py-cluster's ClusterBlockingConnectionPool). A connection whose command did not
 * finish normally (interrupted, timed out, lost) is closed rather than reused: its late reply would
 * otherwise answer the next caller.
 *
 * @internal
 */
import { Cause, Effect, Exit, Scope } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Connector, Endpoint } from "../../Connector.js"
import * as NodeConnection from "../../NodeConnection.js"
import { addressOf } from "./pool.js"
import type { PoolConnectionOptions } from "./pool.js"

interface Idle {
  readonly connection: NodeConnection.NodeConnection
  readonly scope: Scope.Closeable
}

interface NodeSlots {
  readonly idle: Array<Idle>
  size: number
  readonly waiters: Array<() => void>
}

/**
 * The blocking-connection pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockingPool {
  /** Runs `use` on a dedicated connection to the node. */
  readonly withConnection: <A, E, R = never>(
    endpoint: Endpoint,
    command: string,
    use: (connection: NodeConnection.NodeConnection) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | NodeConnection.ConnectError, R>
  /** Connections open per address (idle or in use). */
  readonly sizes: () => ReadonlyMap<string, number>
}

/**
 * A pool living in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: PoolConnectionOptions,
  max: number,
  waitMillis: number
): Effect.Effect<BlockingPool, never, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const parent = yield* Effect.scope
    const context = yield* Effect.context<Connector>()
    const nodes = new Map<string, NodeSlots>()
    const slotsOf = (address: string): NodeSlots => {
      let s = nodes.get(address)
      if (s === undefined) {
        s = { idle: [], size: 0, waiters: [] }
        nodes.set(address, s)
      }
      return s
    }

    const wake = (s: NodeSlots) => {
      const waiter = s.waiters.shift()
      if (waiter !== undefined) waiter()
    }

    const discard = (s: NodeSlots, scope: Scope.Closeable) =>
      Effect.andThen(Scope.close(scope, Exit.void), Effect.sync(() => {
        s.size--
        wake(s)
      }))

    /** Waits until the node has an idle connection or room for one. */
    const waitTurn = (s: NodeSlots, endpoint: Endpoint, command: string) =>
      Effect.callback<void, ClusterError.TimeoutError>((resume) => {
        const waiter = () => {
          clearTimeout(timer)
          resume(Effect.void)
        }
        const timer = setTimeout(() => {
          const i = s.waiters.indexOf(waiter)
          if (i !== -1) s.waiters.splice(i, 1)
          resume(Effect.fail(new ClusterError.TimeoutError({ ...endpoint, command, timeoutMillis: waitMillis })))
        }, waitMillis)
        s.waiters.push(waiter)
        return Effect.sync(() => {
          clearTimeout(timer)
          const i = s.waiters.indexOf(waiter)
          if (i !== -1) s.waiters.splice(i, 1)
          // Pass the turn on: we were woken but will not use it.
          else wake(s)
        })
      })

    const acquire = (endpoint: Endpoint, command: string): Effect.Effect<Idle, NodeConnection.ConnectError> =>
      Effect.suspend(() => {
        const s = slotsOf(addressOf(endpoint))
        while (s.idle.length > 0) {
          const item = s.idle.pop()!
          if (item.connection.isOpen()) return Effect.succeed(item)
          s.size--
          Effect.runFork(Scope.close(item.scope, Exit.void))
        }
        if (s.size >= max) return Effect.andThen(waitTurn(s, endpoint, command), acquire(endpoint, command))
        s.size++
        return Effect.gen(function*() {
          const scope = yield* Scope.fork(parent, "sequential")
          const connection = yield* NodeConnection.make({ ...options, host: endpoint.host, port: endpoint.port }).pipe(
            Scope.provide(scope),
            Effect.provide(context),
            Effect.onError(() => discard(s, scope))
          )
          return { connection, scope }
        })
      })

    const withConnection = <A, E, R = never>(
      endpoint: Endpoint,
      command: string,
      use: (connection: NodeConnection.NodeConnection) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | NodeConnection.ConnectError, R> =>
      // Not acquireUseRelease: its acquire cannot be interrupted, and waiting for a turn must be.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(acquire(endpoint, command)), (item) =>
          restore(use(item.connection)).pipe(
            Effect.onExit((exit) => {
              const s = slotsOf(addressOf(endpoint))
              const reusable = item.connection.isOpen() &&
                item.connection.pending() === 0 &&
                (Exit.isSuccess(exit) || !Cause.hasInterrupts(exit.cause) && !Cause.hasDies(exit.cause))
              if (!reusable) return discard(s, item.scope)
              return Effect.sync(() => {
                s.idle.push(item)
                wake(s)
              })
            })
          ))
      )

    return {
      withConnection,
      sizes: () => new Map(Array.from(nodes.entries(), ([a, s]) => [a, s.size] as const))
    }
  })
