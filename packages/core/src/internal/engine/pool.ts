/**
 * The shared, multiplexed connections of a cluster client: at most one per node address, opened on
 * first use, dropped from the map when they die, closed when the node leaves the topology or the
 * client's scope closes. The hot path reads a plain `Map` (no RcMap/Pool lookup per command).
 *
 * @internal
 */
import { Deferred, Duration, Effect, Exit, Scope } from "effect"
import * as Deadline from "../deadline.js"
import type { Connector, Endpoint } from "../../Connector.js"
import type * as ClusterError from "../../ClusterError.js"
import * as NodeConnection from "../../NodeConnection.js"
import type { Lifecycle } from "./lifecycle.js"

/**
 * `host:port`, the key of everything per node.
 *
 * @since 0.1.0
 * @category utils
 */
export const addressOf = (e: Endpoint): string => `${e.host}:${e.port}`

interface Entry {
  readonly scope: Scope.Closeable
  readonly ready: Deferred.Deferred<NodeConnection.NodeConnection, NodeConnection.ConnectError>
  connection: NodeConnection.NodeConnection | undefined
}

/**
 * What getting a connection can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type PoolError = NodeConnection.ConnectError | ClusterError.ClientClosedError

/**
 * The connection map.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionPool {
  /** The open connection to `address`, if there is one right now. */
  readonly cached: (address: string) => NodeConnection.NodeConnection | undefined
  /**
   * The open connection to the node, opening it (once, however many fibers ask) when needed; on a
   * closed client, `ClientClosedError` at once (nothing is opened into a closed scope).
   */
  readonly get: (endpoint: Endpoint) => Effect.Effect<NodeConnection.NodeConnection, PoolError>
  /** Closes the node's connection (commands waiting on it fail with `ConnectionError`). */
  readonly close: (address: string) => Effect.Effect<void>
  /**
   * The node left the topology: new commands no longer get this connection, and it closes once its
   * in-flight commands are answered (or after `graceMillis`), so no write on it is failed for nothing.
   */
  readonly retire: (address: string, graceMillis: number) => Effect.Effect<void>
  /** Addresses with an open or opening connection. */
  readonly addresses: () => ReadonlyArray<string>
}

/**
 * The node's connection, waiting at most `budgetMillis` (0: as long as opening takes) for it to
 * open: the wait counts against a command's deadline, not only against `connectTimeout`. The open
 * itself goes on for other callers when this one gives up.
 *
 * @since 0.1.0
 * @category utils
 */
export const getWithin = (
  pool: ConnectionPool,
  node: Endpoint,
  budgetMillis: number,
  onTimeout: () => NodeConnection.CommandError
): Effect.Effect<NodeConnection.NodeConnection, PoolError | NodeConnection.CommandError> => {
  const open = pool.cached(addressOf(node))
  if (open !== undefined) return Effect.succeed(open)
  return budgetMillis === 0 ? pool.get(node) : Effect.timeoutOrElse(pool.get(node), { duration: Duration.millis(budgetMillis), orElse: () => Effect.fail(onTimeout()) })
}

/**
 * Options for every connection the pool opens (the endpoint excepted).
 *
 * @since 0.1.0
 * @category models
 */
export type PoolConnectionOptions = Omit<NodeConnection.NodeConnectionOptions, "host" | "port">

/**
 * A pool living in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: PoolConnectionOptions,
  life: Lifecycle
): Effect.Effect<ConnectionPool, never, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const parent = yield* Effect.scope
    const context = yield* Effect.context<Connector>()
    const entries = new Map<string, Entry>()

    const drop = (address: string, entry: Entry) =>
      Effect.suspend(() => {
        if (entries.get(address) === entry) entries.delete(address)
        return Scope.close(entry.scope, Exit.void)
      })

    yield* Effect.addFinalizer(() =>
      Effect.forEach(Array.from(entries.entries()), ([address, entry]) => drop(address, entry), { discard: true })
    )

    const open = (endpoint: Endpoint, address: string, entry: Entry) =>
      NodeConnection.make({ ...options, host: endpoint.host, port: endpoint.port }).pipe(
        Scope.provide(entry.scope),
        Effect.tap((connection) =>
          Effect.sync(() => {
            entry.connection = connection
          }).pipe(
            // Forget it the moment it dies, so the next command opens a fresh one.
            Effect.andThen(Effect.forkIn(Effect.flatMap(connection.closed, () => drop(address, entry)), entry.scope))
          )
        ),
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.andThen(
            Exit.isFailure(exit) ? drop(address, entry) : Effect.void,
            Deferred.done(entry.ready, exit)
          )
        ),
        Effect.provide(context)
      )

    const get = (endpoint: Endpoint): Effect.Effect<NodeConnection.NodeConnection, PoolError> =>
      Effect.suspend((): Effect.Effect<NodeConnection.NodeConnection, PoolError> => {
        if (life.closed) return Effect.fail(life.closedError())
        const address = addressOf(endpoint)
        const existing = entries.get(address)
        if (existing !== undefined) {
          const c = existing.connection
          if (c !== undefined && c.isOpen()) return Effect.succeed(c)
          if (c === undefined) return Deferred.await(existing.ready)
          entries.delete(address)
        }
        return Effect.gen(function*() {
          const entry: Entry = {
            scope: yield* Scope.fork(parent, "sequential"),
            ready: yield* Deferred.make<NodeConnection.NodeConnection, NodeConnection.ConnectError>(),
            connection: undefined
          }
          entries.set(address, entry)
          // Opened in its own fiber: an interrupted caller must not abort the others' open.
          yield* Effect.forkIn(open(endpoint, address, entry), parent)
          return yield* Deferred.await(entry.ready)
        })
      })

    return {
      cached: (address) => {
        const c = entries.get(address)?.connection
        return c !== undefined && c.isOpen() ? c : undefined
      },
      get,
      close: (address) =>
        Effect.suspend(() => {
          const entry = entries.get(address)
          return entry === undefined ? Effect.void : drop(address, entry)
        }),
      addresses: () => Array.from(entries.keys()),
      retire: (address, graceMillis) =>
        Effect.suspend(() => {
          const entry = entries.get(address)
          if (entry === undefined) return Effect.void
          entries.delete(address)
          const deadline = Deadline.now() + graceMillis
          const drain: Effect.Effect<void> = Effect.suspend(() => {
            const c = entry.connection
            if (c === undefined || !c.isOpen() || c.pending() === 0 || Deadline.now() >= deadline) return Scope.close(entry.scope, Exit.void)
            return Effect.andThen(Effect.sleep("20 millis"), drain)
          })
          return Effect.asVoid(Effect.forkIn(drain, parent))
        })
    }
  })
