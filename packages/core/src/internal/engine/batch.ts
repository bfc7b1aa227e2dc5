/**
 * Pipelines and transactions.
 *
 * A pipeline's commands become parts: one per single-slot command, one per slot for a splittable
 * multi-key command, one per node for a fanned-out one. Parts are grouped per node, in input order
 * (so order is kept per slot), and each node's group is written in windows with one `sendBatch` per
 * window, all nodes concurrently. Then only the parts that failed in a way a retry can fix (MOVED,
 * ASK, TRYAGAIN, CLUSTERDOWN, LOADING, READONLY, or a connection lost before they were written)
 * go round again; a part that succeeded is never sent again, nor is a write that was on the wire
 * when its connection dropped.
 *
 * A transaction is `MULTI` + commands + `EXEC` queued back to back on the slot owner's shared
 * connection (nothing from other fibers lands in between), retried whole when nothing ran.
 *
 * @internal
 */
import { Effect, Exit, Result } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Endpoint } from "../../Connector.js"
import type { RefreshReason } from "../../Topology.js"
import type * as NodeConnection from "../../NodeConnection.js"
import * as Resp from "../../Resp.js"
import type { RetryPolicies } from "../../RetryPolicy.js"
import { MultiSlot, routeSlotOf, slotOf } from "../../Router.js"
import type { NodePicker } from "../../Router.js"
import type { Command, Decoder, NodeReply } from "../command/command.js"
import { BLOCKING } from "../command/command.js"
import { addressOf, getWithin } from "./pool.js"
import type { ConnectionPool } from "./pool.js"
import { ReplyShape } from "../command/reply.js"
import { failureOf } from "../wire/exit.js"
import * as Deadline from "../deadline.js"
import type { Lifecycle } from "./lifecycle.js"
import { ranScript, recoveryOf, refreshFor } from "./recovery.js"
import { Retries } from "./retry.js"
import type { RetryKind } from "./retry.js"
import type { TopologyEngine } from "./topology.js"

/** A part's or a command's typed error; an interruption or a defect reads as a lost connection. */
const errorOf = <E>(exit: Exit.Exit<unknown, E>): E | ClusterError.ConnectionError =>
  failureOf(exit) ?? new ClusterError.ConnectionError({ host: "", port: 0, reason: "interrupted" })

/**
 * Options shared with the executor.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchOptions {
  readonly picker: NodePicker
  readonly maxRedirects: number
  readonly commandTimeoutMillis: number
  readonly retry: RetryPolicies
  /** Commands per `sendBatch` window, per node. */
  readonly windowSize?: number | undefined
  /** The client's open/closed state: nothing is sent or retried once it is closed. */
  readonly life: Lifecycle
}

type Failure = ClusterError.RedisClusterError

/**
 * How a part finds its node: by its slot (`slot`, readFrom applies), by its slot's master only
 * (`master`: a fanned-out command's part for one shard, sent to that shard's master first and, if
 * that fails, to whichever master serves the slot now), or at one fixed node (`node`: a part of a
 * command sent to every node).
 */
type Placement = "slot" | "master" | "node"

/** A fanned-out part whose node left the cluster before it could answer: not waited for. */
const SKIPPED: unique symbol = Symbol("keyslot/batch/skipped")

/** Errors read from inside an EXEC reply: the transaction ran, so they are never retried. */
const ranInExec = new WeakSet<object>()

/** One wire command of a pipeline entry. */
class Part implements NodeConnection.BatchRequest {
  target: Endpoint | undefined
  asking = false
  hops = 0
  /** The retry kind it waits for before it is sent again (`undefined`: sent again at once). */
  waitingFor: RetryKind | undefined = undefined
  /** The node the part was last sent to. */
  sentTo: Endpoint | undefined = undefined
  result: Exit.Exit<unknown, Failure> | undefined = undefined
  constructor(
    readonly command: Command<unknown>,
    readonly slot: number,
    readonly decode: Decoder<unknown>,
    target: Endpoint | undefined,
    readonly placement: Placement = "slot",
    /** A fanned-out command's parts by the address each went to: one part per node. */
    readonly claims?: Map<string, Part> | undefined
  ) {
    this.target = target
  }
  /** What the connection writes (a Part is its own batch request: no object per command). */
  get args(): ReadonlyArray<Resp.RespArg> {
    return this.command.args
  }
  get bytes(): boolean {
    return this.command.bytes
  }
}

/** The combine of a single-part command: shared, not a closure per command. */
const firstValue = (values: ReadonlyArray<unknown>): unknown => values[0]

/** One user command: its parts and how their values combine. */
interface Entry {
  readonly command: Command<unknown>
  readonly parts: ReadonlyArray<Part>
  readonly combine: (values: ReadonlyArray<unknown>, parts: ReadonlyArray<Part>) => unknown
}

/**
 * Why a command cannot be part of a pipeline (nothing is sent then), or `undefined`.
 *
 * @since 0.1.0
 * @category decisions
 */
export const refusal = (command: Command<unknown>, index: number): ClusterError.UnsupportedCommandError | undefined => {
  if (command.route === "unsupported" || command.route === "node") {
    const reason = command.route === "node" ? "it acts on one particular node: send it with executeOn" : command.unsupportedReason ?? "not supported"
    return new ClusterError.UnsupportedCommandError({ command: command.name, index, reason })
  }
  if ((command.flags & BLOCKING) !== 0) {
    return new ClusterError.UnsupportedCommandError({ command: command.name, index, reason: "a blocking command would stall the shared connection; run it with execute" })
  }
  return undefined
}

const shapeError = (command: Command<unknown>, node: Endpoint | undefined, shape: ReplyShape) =>
  new ClusterError.ProtocolError({ host: node?.host, port: node?.port, command: command.name, reason: shape.reason })

/**
 * The pipeline and transaction engine over the client's pool and topology.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (pool: ConnectionPool, topology: TopologyEngine, options: BatchOptions) => {
  const window = options.windowSize ?? 4096

  const servingShards = () => topology.current().shards.filter((s) => s.ranges.length > 0)
  /** The nodes a command for every node goes to: serving masters and their healthy replicas. */
  const everyNode = (): ReadonlyArray<Endpoint> => servingShards().flatMap((s) => [s.master, ...s.readReplicas])

  /** Splits commands into parts; refuses what cannot be pipelined before anything is sent. */
  const plan = (commands: ReadonlyArray<Command<unknown>>): Result.Result<ReadonlyArray<Entry>, Failure> => {
    const entries: Array<Entry> = []
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!
      const refused = refusal(command, i)
      if (refused !== undefined) return Result.fail(refused)
      if (command.route === "masters" || command.route === "nodes") {
        const fanout = command.fanout!
        const claims = new Map<string, Part>()
        entries.push({
          command,
          parts: command.route === "masters"
            ? servingShards().map((s) => new Part(command, s.ranges[0]![0], fanout.decode, s.master, "master", claims))
            : everyNode().map((n) => new Part(command, -1, fanout.decode, n, "node", claims)),
          combine: (values, parts) => {
            const replies: Array<NodeReply<unknown>> = []
            for (let j = 0; j < values.length; j++) {
              if (values[j] !== SKIPPED) replies.push({ address: addressOf(parts[j]!.sentTo!), value: values[j] })
            }
            return fanout.merge(replies)
          }
        })
        continue
      }
      const slot = routeSlotOf(command)
      if (slot instanceof MultiSlot) {
        const split = command.split
        if (split === undefined) return Result.fail(new ClusterError.CrossSlotError({ command: command.name, index: i, slots: slot.slots }))
        entries.push({
          command,
          parts: slot.groups.map((group, g) => {
            const part = split.part(group)
            return new Part(part, slot.slots[g]!, part.decode, undefined)
          }),
          combine: (values) => split.merge(values, slot.groups, command.keys.length)
        })
        continue
      }
      entries.push({ command, parts: [new Part(command, slot, command.decode, undefined)], combine: firstValue })
    }
    return Result.succeed(entries)
  }

  /** Where a part goes now: its forced target (after MOVED/ASK) or the slot map. */
  const route = (part: Part): Endpoint | ClusterError.SlotNotCoveredError => {
    if (part.target !== undefined) return part.target
    const snapshot = topology.current()
    const shard = part.slot === -1 ? options.picker.anyShard(snapshot) : snapshot.slots[part.slot]
    if (shard === undefined) return new ClusterError.SlotNotCoveredError({ slot: part.slot, command: part.command.name })
    return part.placement === "master"
      ? shard.master
      : options.picker.pick(shard, snapshot, part.command.readOnly && !topology.isMigrating(part.slot))
  }

  /** Sends one node's parts in windows; records each part's raw outcome. */
  const sendGroup = (node: Endpoint, parts: ReadonlyArray<Part>, timeout: number | undefined) =>
    Effect.gen(function*() {
      const budget = timeout ?? options.commandTimeoutMillis
      const startedAt = Deadline.now()
      const connection = yield* Effect.result(openWithin(node, budget, parts[0]!.command.name))
      if (Result.isFailure(connection)) {
        for (const p of parts) p.result = Exit.fail(connection.failure)
        return
      }
      const left = Deadline.stepTimeout(budget, startedAt, timeout)
      for (let start = 0; start < parts.length; start += window) {
        const slice = parts.slice(start, start + window)
        const exits = yield* connection.success.sendBatch(
          slice,
          left
        )
        for (let j = 0; j < slice.length; j++) {
          const p = slice[j]!
          const exit = exits[j]!
          if (Exit.isFailure(exit)) {
            p.result = exit as Exit.Exit<never, Failure>
            continue
          }
          const value = p.decode(exit.value)
          p.result = value instanceof ReplyShape ? Exit.fail(shapeError(p.command, node, value)) : Exit.succeed(value)
        }
      }
    })

  /** The node's connection within the deadline (see `getWithin`). */
  const openWithin = (node: Endpoint, budget: number, command: string) =>
    getWithin(pool, node, budget, () => new ClusterError.TimeoutError({ host: node.host, port: node.port, command, timeoutMillis: options.commandTimeoutMillis }))

  /** One round: every part in `parts` is sent once, grouped per node. */
  const round = (parts: ReadonlyArray<Part>, timeout: number | undefined) =>
    Effect.suspend(() => {
      const groups = new Map<string, { node: Endpoint; parts: Array<Part> }>()
      for (const p of parts) {
        const node = route(p)
        if (node instanceof ClusterError.SlotNotCoveredError) {
          p.result = Exit.fail(node)
          continue
        }
        // Nodes of the map carry their address: no string built per part.
        const address = (node as { readonly address?: string }).address ?? addressOf(node)
        const claims = p.claims
        if (claims !== undefined) {
          // Re-routed onto a node another part of the same command already went to (two shards'
          // slots now on one master): that node's reply covers both.
          const holder = claims.get(address)
          if (holder !== undefined && holder !== p) {
            p.result = Exit.succeed(SKIPPED)
            continue
          }
          if (p.sentTo !== undefined && claims.get(addressOf(p.sentTo)) === p) claims.delete(addressOf(p.sentTo))
          claims.set(address, p)
        }
        p.sentTo = node
        let group = groups.get(address)
        if (group === undefined) groups.set(address, group = { node, parts: [] })
        group.parts.push(p)
      }
      return Effect.forEach(groups.values(), (g) => sendGroup(g.node, g.parts, timeout), { concurrency: "unbounded", discard: true })
    })

  /**
   * A part sent to every node does not wait for a node the cluster has since dropped or marked
   * failed (seen after a refresh); a node that is only loading or restarting is still waited for.
   */
  const dropDeparted = (parts: ReadonlyArray<Part>): ReadonlyArray<Part> => {
    if (!parts.some((p) => p.placement === "node")) return parts
    const nodes = topology.current().nodes
    return parts.filter((p) => {
      if (p.placement !== "node") return true
      const node = nodes.get(addressOf(p.target!))
      if (node !== undefined && node.health !== "failed") return true
      p.result = Exit.succeed(SKIPPED)
      return false
    })
  }

  /** Runs rounds until every part has a final outcome. */
  const runParts = (all: ReadonlyArray<Part>) =>
    Effect.gen(function*() {
      const timeout = options.commandTimeoutMillis
      const retries = new Retries(options.retry, Deadline.after(timeout), options.life)
      let pending: ReadonlyArray<Part> = all
      let remaining: number | undefined = undefined
      let refreshedUncovered = false
      while (pending.length > 0) {
        if (options.life.closed) {
          // Closed between rounds: the parts still to (re)send fail, none is sent.
          for (const p of pending) p.result = Exit.fail(options.life.closedError(p.command.name))
          break
        }
        if (pending !== all) pending = dropDeparted(pending)
        yield* round(pending, remaining)
        const again: Array<Part> = []
        const waits = new Map<RetryKind, Failure>()
        const awaited = new Set<RefreshReason>()
        const requested = new Set<RefreshReason>()
        let uncovered = false
        for (const p of pending) {
          const exit = p.result!
          const error = failureOf(exit)
          if (error === undefined) continue
          // A slot no node serves in our map: one refresh may find its new owner.
          if (error._tag === "SlotNotCoveredError") {
            if (!refreshedUncovered) {
              uncovered = true
              again.push(p)
            }
            continue
          }
          const recovery = recoveryOf(error, { readOnly: p.command.readOnly, ran: ranScript(p.command, error) })
          if (recovery._tag === "Fail") {
            if (recovery.refresh !== undefined) requested.add(recovery.refresh)
            continue
          }
          if (recovery._tag === "Redirect") {
            const redirect = error as ClusterError.MovedError | ClusterError.AskError
            if (++p.hops > options.maxRedirects) {
              p.result = Exit.fail(new ClusterError.RedirectLimitError({ command: p.command.name, redirects: p.hops - 1, last: redirect }))
              continue
            }
            const followed = yield* Effect.result(topology.followRedirect(redirect, p.command.name))
            if (Result.isFailure(followed)) {
              p.result = Exit.fail(followed.failure)
              continue
            }
            const target = followed.success
            if (redirect._tag === "MovedError") {
              // Back to the slot map: later parts of the same slot follow the patch too.
              p.target = p.slot === -1 ? target : undefined
              p.asking = false
            } else {
              p.target = target
              p.asking = true
            }
          } else {
            waits.set(recovery.kind, error)
            p.waitingFor = recovery.kind
            if (recovery.refresh !== undefined) (recovery.awaitRefresh ? awaited : requested).add(recovery.refresh)
            p.target = p.placement === "node" || p.slot === -1 ? p.target : undefined
            p.asking = false
          }
          again.push(p)
        }
        for (const reason of requested) topology.requestRefresh(reason)
        if (again.length === 0) break
        if (uncovered) {
          refreshedUncovered = true
          yield* Effect.result(topology.refresh("uncovered-slot"))
        }
        for (const reason of awaited) yield* Effect.result(topology.refresh(reason))
        // Wait as long as the slowest kind of transient failure asks. A kind whose schedule is
        // exhausted leaves its parts with their last error; the others go round again.
        const exhausted = new Set<RetryKind>()
        for (const [kind, error] of waits) {
          if (!(yield* retries.wait(kind, error))) exhausted.add(kind)
        }
        const left = retries.remaining()
        if (left !== undefined && left <= 0) {
          // The deadline passed with these parts still to send: they time out (a redirect that
          // was never followed is not the answer).
          for (const p of again) {
            if (p.waitingFor !== undefined && exhausted.has(p.waitingFor)) continue
            p.result = Exit.fail(new ClusterError.TimeoutError({ host: p.target?.host, port: p.target?.port, command: p.command.name, timeoutMillis: timeout }))
          }
          break
        }
        remaining = left === undefined ? undefined : Math.max(1, left)
        pending = exhausted.size === 0 ? again : again.filter((p) => p.waitingFor === undefined || !exhausted.has(p.waitingFor))
        for (const p of pending) p.waitingFor = undefined
      }
    })

  /** An entry's value from its parts' outcomes, or the first failed part's error. */
  const outcome = (entry: Entry): Result.Result<unknown, Failure> => {
    const parts = entry.parts
    // The common case, one part taken as it is: no array per command.
    if (parts.length === 1 && entry.combine === firstValue) {
      const exit = parts[0]!.result!
      return Exit.isFailure(exit) ? Result.fail(errorOf(exit)) : Result.succeed(exit.value)
    }
    const values: Array<unknown> = []
    for (const p of parts) {
      const exit = p.result!
      if (Exit.isFailure(exit)) {
        return Result.fail(errorOf(exit))
      }
      values.push(exit.value)
    }
    const combined = entry.combine(values, parts)
    return combined instanceof ReplyShape ? Result.fail(shapeError(entry.command, undefined, combined)) : Result.succeed(combined)
  }

  /** Sends every entry's parts; the entries, with their outcomes ready. */
  const runEntries = (commands: ReadonlyArray<Command<unknown>>): Effect.Effect<ReadonlyArray<Entry>, Failure> =>
    Effect.suspend(() => {
      const planned = plan(commands)
      if (Result.isFailure(planned)) return Effect.fail(planned.failure)
      const entries = planned.success
      const parts: Array<Part> = []
      for (const e of entries) for (const p of e.parts) parts.push(p)
      return Effect.as(runParts(parts), entries)
    })

  /** Every command's outcome, in input order. */
  const settle = (commands: ReadonlyArray<Command<unknown>>): Effect.Effect<ReadonlyArray<Result.Result<unknown, Failure>>, Failure> =>
    Effect.map(runEntries(commands), (entries) => {
      const results = new Array<Result.Result<unknown, Failure>>(entries.length)
      for (let i = 0; i < entries.length; i++) {
        const r = outcome(entries[i]!)
        results[i] = Result.isFailure(r) ? Result.fail(ClusterError.atIndex(r.failure, i)) : r
      }
      return results
    })

  /**
   * One command that becomes several wire commands (split per slot, or sent to several nodes):
   * its parts go out like a pipeline's, one batch per node, and it fails as the command itself.
   */
  const run = <A>(command: Command<A>): Effect.Effect<A, Failure> =>
    Effect.suspend(() => {
      const planned = plan([command as Command<unknown>])
      if (Result.isFailure(planned)) return Effect.fail(planned.failure)
      const entry = planned.success[0]!
      return Effect.flatMap(runParts(entry.parts), () => Effect.fromResult(outcome(entry) as Result.Result<A, Failure>))
    })

  /** The results in order, or the first failed command's error (after every command finished). */
  const pipeline = (commands: ReadonlyArray<Command<unknown>>): Effect.Effect<ReadonlyArray<unknown>, Failure> =>
    Effect.flatMap(runEntries(commands), (entries) => {
      const values = new Array<unknown>(entries.length)
      for (let i = 0; i < entries.length; i++) {
        const r = outcome(entries[i]!)
        if (Result.isFailure(r)) return Effect.fail(ClusterError.atIndex(r.failure, i))
        values[i] = r.success
      }
      return Effect.succeed(values)
    })

  // ---------------------------------------------------------------------------------------------
  // Transactions

  const transactionSlot = (commands: ReadonlyArray<Command<unknown>>): number | Failure => {
    let slot = -1
    const slots = new Set<number>()
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!
      if (command.route !== "key" && command.route !== "any") {
        return new ClusterError.UnsupportedCommandError({
          command: command.name,
          index: i,
          reason: command.route === "unsupported"
            ? command.unsupportedReason ?? "not supported"
            : command.route === "node"
            ? "it acts on one particular node: send it with executeOn"
            : "a command sent to several nodes cannot be part of a transaction"
        })
      }
      if ((command.flags & BLOCKING) !== 0) {
        return new ClusterError.UnsupportedCommandError({ command: command.name, index: i, reason: "blocking commands do not block inside MULTI/EXEC; run it with execute" })
      }
      const s = slotOf(command)
      if (s instanceof MultiSlot) {
        for (const x of s.slots) slots.add(x)
      } else if (s !== -1) {
        slots.add(s)
        slot = s
      }
    }
    if (slots.size > 1) return new ClusterError.CrossSlotError({ command: "MULTI", slots: Array.from(slots) })
    return slot
  }

  const multiArgs: ReadonlyArray<Resp.RespArg> = ["MULTI"]
  const execArgs: ReadonlyArray<Resp.RespArg> = ["EXEC"]

  /** One try on a connection: what went wrong (to retry or report), `null` for a nil EXEC, or the decoded results. */
  const execOn = (
    connection: NodeConnection.NodeConnection,
    commands: ReadonlyArray<Command<unknown>>,
    asking: boolean,
    timeout: number | undefined
  ): Effect.Effect<Result.Result<ReadonlyArray<unknown> | null, Failure>> =>
    Effect.gen(function*() {
      const node = connection.endpoint
      const exits = yield* connection.sendBatch([
        { args: multiArgs, asking },
        ...commands.map((c) => ({ args: c.args, bytes: c.bytes })),
        { args: execArgs }
      ], timeout)
      const multi = exits[0]!
      if (Exit.isFailure(multi)) return Result.fail(errorOf(multi))
      // A command refused while queueing (MOVED, ASK, syntax...) aborts the whole transaction.
      for (let i = 0; i < commands.length; i++) {
        const queued = exits[i + 1]!
        if (Exit.isFailure(queued)) return Result.fail(ClusterError.atIndex(errorOf(queued), i))
      }
      const exec = exits[exits.length - 1]!
      if (Exit.isFailure(exec)) return Result.fail(errorOf(exec))
      const replies = exec.value
      // A watched key changed: nothing ran.
      if (replies === null) return Result.succeed(null)
      if (!Array.isArray(replies) || replies.length !== commands.length) {
        return Result.fail(new ClusterError.ProtocolError({ ...node, command: "EXEC", reason: `expected ${commands.length} replies, got ${typeof replies}` }))
      }
      const values: Array<unknown> = []
      for (let i = 0; i < commands.length; i++) {
        const reply = (replies as ReadonlyArray<Resp.RespValue>)[i]!
        const command = commands[i]!
        if (reply instanceof Resp.ErrorReply) {
          const error = ClusterError.atIndex(ClusterError.fromReply(reply.message, { ...node, command: command.name }), i)
          // EXEC ran: the other commands' effects are applied, so this error is final.
          ranInExec.add(error)
          return Result.fail(error)
        }
        const value = command.decode(reply)
        if (value instanceof ReplyShape) return Result.fail(ClusterError.atIndex(shapeError(command, node, value), i))
        values.push(value)
      }
      return Result.succeed(values)
    })

  const transactOnce = (
    commands: ReadonlyArray<Command<unknown>>,
    node: Endpoint,
    asking: boolean,
    timeout: number | undefined
  ): Effect.Effect<Result.Result<ReadonlyArray<unknown>, Failure>> =>
    Effect.gen(function*() {
      const budget = timeout ?? options.commandTimeoutMillis
      const startedAt = Deadline.now()
      const connection = yield* Effect.result(openWithin(node, budget, "MULTI"))
      if (Result.isFailure(connection)) return Result.fail(connection.failure)
      const outcome = yield* execOn(connection.success, commands, asking, Deadline.stepTimeout(budget, startedAt, timeout))
      if (Result.isSuccess(outcome) && outcome.success === null) {
        return Result.fail(new ClusterError.ProtocolError({ ...node, command: "EXEC", reason: "nil EXEC reply without WATCH" }))
      }
      return outcome as Result.Result<ReadonlyArray<unknown>, Failure>
    })


  /**
   * `MULTI` … `EXEC` on the node owning the commands' one slot. Retried whole after MOVED/ASK
   * (ASKING before MULTI), TRYAGAIN, CLUSTERDOWN, or a connection lost before EXEC was written;
   * never after EXEC may have run.
   */
  const transaction = (commands: ReadonlyArray<Command<unknown>>): Effect.Effect<ReadonlyArray<unknown>, Failure> =>
    Effect.gen(function*() {
      const slot = transactionSlot(commands)
      if (typeof slot !== "number") return yield* Effect.fail(slot)
      if (commands.length === 0) return []
      const timeout = options.commandTimeoutMillis
      const retries = new Retries(options.retry, Deadline.after(timeout), options.life)
      let target: Endpoint | undefined
      let asking = false
      let hops = 0
      while (true) {
        if (options.life.closed) return yield* Effect.fail(options.life.closedError("MULTI"))
        let node: Endpoint
        if (target !== undefined) node = target
        else {
          const snapshot = topology.current()
          const shard = slot === -1 ? options.picker.anyShard(snapshot) : snapshot.slots[slot]
          if (shard === undefined) return yield* Effect.fail(new ClusterError.SlotNotCoveredError({ slot, command: "MULTI" }))
          node = shard.master
        }
        const remaining = retries.remaining()
        if (remaining !== undefined && remaining <= 0) return yield* Effect.fail(new ClusterError.TimeoutError({ ...node, command: "EXEC", timeoutMillis: timeout }))
        const outcome = yield* transactOnce(commands, node, asking, remaining)
        if (Result.isSuccess(outcome)) return outcome.success
        const error = outcome.failure
        // A transaction writes: once EXEC may have run (written, connection lost) or did run (an
        // error inside its reply), never again.
        const recovery = recoveryOf(error, { readOnly: false, ran: ranInExec.has(error) })
        if (options.life.closed && recovery._tag !== "Fail") return yield* Effect.fail(options.life.closedError("MULTI"))
        if (recovery._tag === "Fail") {
          yield* refreshFor(topology, recovery)
          return yield* Effect.fail(error)
        }
        if (recovery._tag === "Redirect") {
          const redirect = error as ClusterError.MovedError | ClusterError.AskError
          if (++hops > options.maxRedirects) return yield* Effect.fail(new ClusterError.RedirectLimitError({ command: "MULTI", redirects: hops - 1, last: redirect }))
          const to = yield* topology.followRedirect(redirect, "MULTI")
          asking = redirect._tag === "AskError"
          target = asking ? to : undefined
          continue
        }
        target = undefined
        asking = false
        yield* refreshFor(topology, recovery)
        if (!(yield* retries.wait(recovery.kind, error))) return yield* Effect.fail(error)
      }
    })

  return { pipeline, settle, run, transaction, transactionSlot, execOn }
}
