/**
 * Runs one command on the cluster: route by slot, send on the node's shared connection (or a
 * blocking one), follow MOVED/ASK, retry transient states by their Schedules, re-route after lost
 * connections, never re-send a write that may have run.
 *
 * The success path allocates one `Effect.callback` (in the connection) and one `matchEffect`; all
 * retry state is created only when something fails.
 *
 * @internal
 */
import { Effect } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Endpoint } from "../../Connector.js"
import type * as NodeConnection from "../../NodeConnection.js"
import type * as Resp from "../../Resp.js"
import type { RetryPolicies } from "../../RetryPolicy.js"
import { MultiSlot, routeSlotOf } from "../../Router.js"
import type { NodePicker } from "../../Router.js"
import type { BlockingPool } from "./blocking.js"
import { BLOCKING, BYTES } from "../command/command.js"
import type { Command, NodeReply } from "../command/command.js"
import { addressOf, getWithin } from "./pool.js"
import type { ConnectionPool, PoolError } from "./pool.js"
import { ReplyShape } from "../command/reply.js"
import * as Deadline from "../deadline.js"
import type { Lifecycle } from "./lifecycle.js"
import { ranScript, recoveryOf, refreshFor } from "./recovery.js"
import { Retries } from "./retry.js"
import type { TopologyEngine } from "./topology.js"

/**
 * What the executor needs to know.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutorOptions {
  /** The client's one picker: the round-robin position is shared by every path. */
  readonly picker: NodePicker
  readonly maxRedirects: number
  /** 0 = no deadline. */
  readonly commandTimeoutMillis: number
  readonly retry: RetryPolicies
  /** The client's open/closed state: nothing is sent or retried once it is closed. */
  readonly life: Lifecycle
}

/**
 * Runs commands.
 *
 * @since 0.1.0
 * @category models
 */
export interface Executor {
  readonly execute: <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  /** Runs a command on one chosen node, with no redirect following (cluster management). */
  readonly executeOn: <A>(endpoint: Endpoint, command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  /** A fanned-out command's reply from each node, unmerged (other commands: one entry). */
  readonly perNode: (command: Command<unknown>) => Effect.Effect<ReadonlyArray<NodeReply<unknown>>, ClusterError.RedisClusterError>
}

/** Per-command retry state, created at the first failure. */
class Attempt extends Retries {
  hops = 0
  refreshedUncovered = false
}

const decodeReply = <A>(command: Command<A>, value: Resp.RespValue, node: Endpoint): Effect.Effect<A, ClusterError.ProtocolError> => {
  const a = command.decode(value)
  return a instanceof ReplyShape
    ? Effect.fail(new ClusterError.ProtocolError({ host: node.host, port: node.port, command: command.name, reason: a.reason }))
    : Effect.succeed(a)
}

/**
 * Builds the executor over the shared pool, the blocking pool and the topology.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  pool: ConnectionPool,
  blocking: BlockingPool,
  topology: TopologyEngine,
  /** Runs a command that becomes several wire commands (per-slot split, fan-out) as one batch. */
  runBatched: <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>,
  options: ExecutorOptions
): Executor => {
  const picker = options.picker
  const timeout = options.commandTimeoutMillis
  const life = options.life

  const send = <A>(
    command: Command<A>,
    node: Endpoint,
    asking: boolean,
    remaining: number | undefined
  ): Effect.Effect<Resp.RespValue, NodeConnection.CommandError | PoolError> => {
    const bytes = (command.flags & BYTES) !== 0
    if ((command.flags & BLOCKING) !== 0) {
      const block = command.blockMillis
      // A blocking command's own timeout is part of its deadline; 0 blocks for as long as it takes.
      // With no commandTimeout the server's own block timeout is the only deadline.
      const limit = remaining ?? timeout
      const blockTimeout = block === 0 || limit === 0 ? 0 : block + limit
      return blocking.withConnection(node, command.name, (c) => c.send(command.args, bytes, blockTimeout, asking))
    }
    // Topology nodes carry their address; only redirect targets need it built.
    const conn = pool.cached((node as { readonly address?: string }).address ?? addressOf(node))
    if (conn !== undefined) return conn.send(command.args, bytes, remaining, asking)
    // Opening the connection counts against the command's deadline, not only connectTimeout.
    const budget = remaining ?? timeout
    const startedAt = Deadline.now()
    return Effect.flatMap(
      getWithin(pool, node, budget, () => new ClusterError.TimeoutError({ host: node.host, port: node.port, command: command.name, timeoutMillis: timeout })),
      (c) => c.send(command.args, bytes, Deadline.stepTimeout(budget, startedAt, remaining), asking)
    )
  }

  const attempt = <A>(
    command: Command<A>,
    slot: number,
    node: Endpoint,
    asking: boolean,
    state: Attempt | undefined,
    startedAt: number
  ): Effect.Effect<A, ClusterError.RedisClusterError> => {
    let remaining: number | undefined
    if (state !== undefined) {
      remaining = state.remaining()
      if (remaining !== undefined && remaining <= 0) {
        return Effect.fail(new ClusterError.TimeoutError({ host: node.host, port: node.port, command: command.name, timeoutMillis: timeout }))
      }
    }
    return Effect.matchEffect(send(command, node, asking, remaining), {
      onFailure: (error) => recover(command, slot, error, state ?? attemptFrom(startedAt), startedAt),
      onSuccess: (value) => decodeReply(command, value, node)
    })
  }

  const dispatch = <A>(command: Command<A>, slot: number, state: Attempt | undefined, startedAt: number): Effect.Effect<A, ClusterError.RedisClusterError> => {
    const snapshot = topology.current()
    const shard = slot === -1 ? picker.anyShard(snapshot) : snapshot.slots[slot]
    if (shard === undefined) {
      const st = state ?? attemptFrom(startedAt)
      if (st.refreshedUncovered) {
        return Effect.fail(new ClusterError.SlotNotCoveredError({ slot, command: command.name }))
      }
      st.refreshedUncovered = true
      return Effect.flatMap(
        Effect.result(topology.refresh("uncovered-slot")),
        () => dispatch(command, slot, st, startedAt)
      )
    }
    // A half-moved slot's reads go to its master: its replicas answer nil for keys already moved.
    return attempt(command, slot, picker.pick(shard, snapshot, command.readOnly && !topology.isMigrating(slot)), false, state, startedAt)
  }

  /** Retry state from the command's start (its deadline counts from there, not from the failure). */
  const attemptFrom = (startedAt: number) => new Attempt(options.retry, Deadline.from(startedAt, timeout), life)

  const recover = <A>(
    command: Command<A>,
    slot: number,
    error: ClusterError.RedisClusterError,
    state: Attempt,
    startedAt: number
  ): Effect.Effect<A, ClusterError.RedisClusterError> => {
    const blocking = (command.flags & BLOCKING) !== 0
    const recovery = recoveryOf(error, { readOnly: command.readOnly, blocking, ran: ranScript(command, error) })
    // Nothing is sent again on a closed client (its connections were closed under the command).
    if (life.closed && recovery._tag !== "Fail") return Effect.fail(life.closedError(command.name))
    switch (recovery._tag) {
      case "Redirect": {
        const redirect = error as ClusterError.MovedError | ClusterError.AskError
        if (++state.hops > options.maxRedirects) {
          return Effect.fail(new ClusterError.RedirectLimitError({ command: command.name, redirects: state.hops - 1, last: redirect }))
        }
        return Effect.flatMap(
          topology.followRedirect(redirect, command.name),
          (node) => attempt(command, slot, node, redirect._tag === "AskError", state, startedAt)
        )
      }
      case "Retry": {
        return Effect.gen(function*() {
          yield* refreshFor(topology, recovery)
          const again = yield* state.wait(recovery.kind, error)
          if (life.closed) return yield* Effect.fail(life.closedError(command.name))
          if (!again) return yield* Effect.fail(error)
          return yield* dispatch(command, slot, state, startedAt)
        })
      }
      case "Fail":
        return Effect.andThen(refreshFor(topology, recovery), Effect.fail(error))
    }
  }

  const sendDecoded = <B>(
    command: Command<unknown>,
    node: Endpoint,
    decode: (value: Resp.RespValue) => B | ReplyShape
  ): Effect.Effect<B, ClusterError.RedisClusterError> =>
    Effect.flatMap(send(command, node, false, undefined), (value) => {
      const b = decode(value)
      return b instanceof ReplyShape
        ? Effect.fail(new ClusterError.ProtocolError({ host: node.host, port: node.port, command: command.name, reason: b.reason }))
        : Effect.succeed(b)
    })

  /** Every target's decoded reply, by address, unmerged. */
  const perNode = (command: Command<unknown>): Effect.Effect<ReadonlyArray<NodeReply<unknown>>, ClusterError.RedisClusterError> => {
    const fanout = command.fanout
    if (fanout === undefined || (command.route !== "masters" && command.route !== "nodes")) {
      return Effect.map(execute(command), (value) => [{ address: "", value }])
    }
    return runBatched(command.withFanOut({ decode: fanout.decode, merge: (replies) => replies }))
  }

  const execute = <A>(command: Command<A>): Effect.Effect<A, ClusterError.RedisClusterError> => {
    if (life.closed) return Effect.fail(life.closedError(command.name))
    const route = command.route
    if (route !== "key" && route !== "any") {
      if (route === "unsupported") {
        return Effect.fail(new ClusterError.UnsupportedCommandError({ command: command.name, reason: command.unsupportedReason ?? "not supported" }))
      }
      if (route === "node") {
        return Effect.fail(new ClusterError.UnsupportedCommandError({
          command: command.name,
          reason: "it acts on one particular node: send it with redis.executeOn(node, command)"
        }))
      }
      return runBatched(command)
    }
    const slot = routeSlotOf(command)
    if (slot instanceof MultiSlot) {
      if (command.split === undefined) {
        return Effect.fail(new ClusterError.CrossSlotError({ command: command.name, slots: slot.slots }))
      }
      return runBatched(command)
    }
    return dispatch(command, slot, undefined, timeout === 0 ? 0 : Deadline.now())
  }

  const executeOn = <A>(endpoint: Endpoint, command: Command<A>): Effect.Effect<A, ClusterError.RedisClusterError> => {
    if (life.closed) return Effect.fail(life.closedError(command.name))
    // Nodes of the map are already remapped; only addresses from elsewhere go through the remap.
    const node = topology.current().nodes.has(addressOf(endpoint)) ? endpoint : topology.remap(endpoint)
    // Refused here too: MULTI or SUBSCRIBE on a shared connection would derail every later command.
    if (command.route === "unsupported") {
      return Effect.fail(new ClusterError.UnsupportedCommandError({ command: command.name, reason: command.unsupportedReason ?? "not supported" }))
    }
    // A fanned-out command sent to one node decodes as that node's part.
    if (command.fanout !== undefined) return sendDecoded(command, node, command.fanout.decode) as Effect.Effect<A, ClusterError.RedisClusterError>
    return Effect.flatMap(send(command, node, false, undefined), (value) => decodeReply(command, value, node))
  }

  return { execute, executeOn, perNode }
}
