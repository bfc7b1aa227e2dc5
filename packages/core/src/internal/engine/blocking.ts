/**
 * Dedicated connections for blocking commands (BLPOP, XREAD BLOCK, WAIT...), so they never stall
 * the shared multiplexed connection: per node at most `max`, a caller waits at most `waitMillis`
 * for one (redis-py-cluster's ClusterBlockingConnectionPool). A connection whose command did not
 * finish normally (interrupted, timed out, lost) is closed rather than reused: its late reply would
 * otherwise answer the next caller. A node that leaves the cluster is `retire`d: its idle
 * connections close and its state goes, so a client that outlives many topology changes keeps
 * nothing for nodes that are gone.
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
  /** The node left the cluster: connections still in use close when released, not kept idle. */
  retired: boolean
}

/** A connection handed out, with the state of the node it belongs to (which `retire` may detach). */
interface Lease extends Idle {
  readonly slots: NodeSlots
}

/**
 * The blocking-connection pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockingPool {
  /**
   * Runs `use` on a dedicated connection to the node. `discard` marks the connection as not to be
   * reused (its state is unknown, e.g. a WATCH that could not be undone): it closes when `use` ends.
   */
  readonly withConnection: <A, E, R = never>(
    endpoint: Endpoint,
    command: string,
    use: (connection: NodeConnection.NodeConnection, discard: () => void) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | NodeConnection.ConnectError, R>
  /**
   * The node at `address` (`host:port`) left the cluster: its idle connections close now, its
   * per-node state is dropped, and the connections it has in use close when they are released.
   * Callers waiting for a turn on it are woken and start over on fresh state. Nothing is closed
   * under a running command, so no blocking command is failed for nothing.
   */
  readonly retire: (address: string) => Effect.Effect<void>
  /** Connections open per address (idle or in use), for addresses not retired (tests, stats). */
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
        s = { idle: [], size: 0, waiters: [], retired: false }
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

    /**
     * Waits until the node has an idle connection or room for one, at most `waitMillis`; `0` (what
     * `blockingPoolTimeout: 0` and `Infinity` resolve to) waits without a limit, as documented.
     */
    const waitTurn = (s: NodeSlots, endpoint: Endpoint, command: string) =>
      Effect.callback<void, ClusterError.TimeoutError>((resume) => {
        const waiter = () => {
          if (timer !== undefined) clearTimeout(timer)
          resume(Effect.void)
        }
        const timer = waitMillis > 0
          ? setTimeout(() => {
            const i = s.waiters.indexOf(waiter)
            if (i !== -1) s.waiters.splice(i, 1)
            resume(Effect.fail(new ClusterError.TimeoutError({ ...endpoint, command, timeoutMillis: waitMillis })))
          }, waitMillis)
          : undefined
        s.waiters.push(waiter)
        return Effect.sync(() => {
          if (timer !== undefined) clearTimeout(timer)
          const i = s.waiters.indexOf(waiter)
          if (i !== -1) s.waiters.splice(i, 1)
          // Pass the turn on: we were woken but will not use it.
          else wake(s)
        })
      })

    const acquire = (endpoint: Endpoint, command: string): Effect.Effect<Lease, NodeConnection.ConnectError> =>
      Effect.suspend((): Effect.Effect<Lease, NodeConnection.ConnectError> => {
        const s = slotsOf(addressOf(endpoint))
        while (s.idle.length > 0) {
          const item = s.idle.pop()!
          if (item.connection.isOpen()) return Effect.succeed({ ...item, slots: s })
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
          return { connection, scope, slots: s }
        })
      })

    const withConnection = <A, E, R = never>(
      endpoint: Endpoint,
      command: string,
      use: (connection: NodeConnection.NodeConnection, discard: () => void) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | NodeConnection.ConnectError, R> =>
      // Not acquireUseRelease: its acquire cannot be interrupted, and waiting for a turn must be.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(acquire(endpoint, command)), (item) => {
          let discarded = false
          const markDiscarded = () => {
            discarded = true
          }
          return restore(use(item.connection, markDiscarded)).pipe(
            Effect.onExit((exit) => {
              // The state it was taken from: after a `retire`, the address may have a new one.
              const s = item.slots
              const reusable = !discarded && !s.retired && item.connection.isOpen() &&
                item.connection.pending() === 0 &&
                (Exit.isSuccess(exit) || !Cause.hasInterrupts(exit.cause) && !Cause.hasDies(exit.cause))
              if (!reusable) return discard(s, item.scope)
              return Effect.sync(() => {
                s.idle.push({ connection: item.connection, scope: item.scope })
                wake(s)
              })
            })
          )
        })
      )

    const retire = (address: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const s = nodes.get(address)
        if (s === undefined) return Effect.void
        nodes.delete(address)
        s.retired = true
        const idle = s.idle.splice(0)
        s.size -= idle.length
        // Waiters start over (on fresh state, should the address be used again) instead of
        // waiting for a release that hands them nothing: released connections now close.
        for (const waiter of s.waiters.splice(0)) waiter()
        return Effect.forEach(idle, (item) => Scope.close(item.scope, Exit.void), { discard: true })
      })

    return {
      withConnection,
      retire,
      sizes: () => new Map(Array.from(nodes.entries(), ([a, s]) => [a, s.size] as const))
    }
  })
