/**
 * What every part of `RedisClusterFixture` shares: the tracked nodes, the slots held half-moved,
 * the last view seen of each node, and the primitives built on them (raw commands that fail with
 * `FixtureError`, finding a node by port, polling until nothing is wrong).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { NodeLine } from "./clusterNodes.js"
import { FixtureError, type RedisReplyError } from "./errors.js"
import { HOST, type ManagedServer } from "./process.js"
import type { Arg, Reply } from "./resp.js"
import { now, sleep } from "./timing.js"

/**
 * Number of hash slots.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const SLOTS = 16384

const POLL_MS = 50

/**
 * Timeout of each command of a health check or view: a node that does not answer within it counts
 * as a problem, so one stuck node cannot hold up the others' checks.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const CHECK_TIMEOUT_MS = 1_000

/**
 * A tracked node: its process and its cluster node id.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface Node {
  readonly server: ManagedServer
  readonly id: string
}

/**
 * A slot held half-moved by `beginMigration`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface Migration {
  readonly from: Node
  readonly to: Node
}

/**
 * The state of one fixture cluster, shared (and mutated) by its parts.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface ClusterContext {
  /** Tracked nodes, in creation order. */
  readonly nodes: Array<Node>
  readonly migrations: Map<number, Migration>
  /** Last view seen of each node, for nodes that cannot be asked now. */
  readonly lastSeen: Map<string, NodeLine>
  readonly password: string | undefined
  readonly healthyTimeout: number
  /** Starts one more node of this cluster (not yet tracked, not yet met). */
  readonly spawnNode: () => Effect.Effect<Node, FixtureError>
}

/**
 * A reply as text (bulk strings arrive as strings, `INFO` and `CLUSTER NODES` included).
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const asString = (reply: Reply): string => (typeof reply === "string" ? reply : String(reply))

/**
 * Whether a reply is an array (`CLUSTER GETKEYSINSLOT` answers one).
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const isArrayReply = (reply: Reply): reply is ReadonlyArray<Reply> => Array.isArray(reply)

/**
 * `host:port` of a node, for messages.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const describe = (node: Node): string => `${HOST}:${node.server.port}`

/**
 * The fixture's operations fail with `FixtureError` only: an error reply to one of its own
 * commands means the fixture could not do its job.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const replyToFixture = (error: FixtureError | RedisReplyError): FixtureError =>
  error._tag === "FixtureError"
    ? error
    : new FixtureError({ message: `${error.command} on ${error.host}:${error.port}: ${error.message}`, cause: error })

/**
 * One of the fixture's own commands on the node's admin connection.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const run = (node: Node, ...commandArgs: ReadonlyArray<Arg>): Effect.Effect<Reply, FixtureError> =>
  node.server.command(commandArgs).pipe(Effect.mapError(replyToFixture))

/**
 * The tracked node listening on `port`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const nodeAt = (context: ClusterContext, port: number): Effect.Effect<Node, FixtureError> =>
  Effect.suspend(() => {
    const node = context.nodes.find((n) => n.server.port === port)
    return node === undefined
      ? Effect.fail(new FixtureError({ message: `no node of this cluster listens on port ${port}` }))
      : Effect.succeed(node)
  })

/**
 * Whether the node can be asked now: running and not paused.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const isUp = (node: Node): boolean => node.server.isAlive && !node.server.isPaused

/**
 * `CLUSTER MEET` with the bus port given explicitly: the fixture's bus ports are not port + 10000.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const meet = (a: Node, b: Node): Effect.Effect<Reply, FixtureError> =>
  run(a, "CLUSTER", "MEET", HOST, b.server.port, b.server.busPort!)

/**
 * Polls `check` (which returns what is still wrong) until it returns nothing, or times out.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const waitFor = Effect.fnUntraced(function*(
  what: string,
  check: Effect.Effect<ReadonlyArray<string>>,
  timeoutMs: number,
  intervalMs: number = POLL_MS
) {
  const deadline = now() + timeoutMs
  for (;;) {
    const problems = yield* check
    if (problems.length === 0) return
    if (now() >= deadline) {
      return yield* new FixtureError({
        message: `${what}: not done after ${timeoutMs} ms:\n  ${problems.slice(0, 20).join("\n  ")}`
      })
    }
    yield* sleep(intervalMs)
  }
})
