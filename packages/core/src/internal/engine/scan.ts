/**
 * Cursor iteration as Streams. `scan` walks every shard's master with a cursor of its own, one
 * after another. When a master fails over mid-walk, the walk starts again from cursor 0 on the
 * promoted replica: a cursor means nothing on another node (each server seeds its own hash
 * function, so keys sit in different buckets). `hscan`/`sscan`/`zscan` walk one key on one node,
 * chosen once per walk (`readFrom` applies to that choice): were each page routed afresh, replica
 * reads would send the pages to different nodes in turn, and fields would be skipped. When that
 * node fails, the walk starts again from cursor 0 on the slot's current master; while the key's
 * slot is migrating, pages go through the executor, which follows ASK to wherever the key is.
 *
 * Guarantee (Redis' own, per node): every key present for the whole scan is returned at least once.
 * Duplicates can occur: after a walk restarts on a promoted replica, when the server rehashes, and
 * for keys whose slot migrates between masters during the scan (which may also miss such keys).
 *
 * @internal
 */
import { Effect, Option, Result, Stream } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Endpoint } from "../../Connector.js"
import type * as Resp from "../../Resp.js"
import type { NodePicker } from "../../Router.js"
import * as Slot from "../../Slot.js"
import type { ClusterNode } from "../../Topology.js"
import { Command, READONLY, scanArgs as matchCountArgs } from "../command/command.js"
import * as R from "../command/reply.js"
import { ReplyShape } from "../command/reply.js"
import { recoveryOf, refreshFor } from "./recovery.js"
import type { Retries } from "./retry.js"
import type { TopologyEngine } from "./topology.js"

/**
 * Options of `scan`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScanOptions {
  /** Glob-style pattern (`MATCH`). */
  readonly match?: string | undefined
  /** Work per call (`COUNT`), a hint to the server. */
  readonly count?: number | undefined
  /** Only keys of this type (`TYPE`: string, list, set, zset, hash, stream). */
  readonly type?: string | undefined
}

/** One shard's part of a `scan`. */
interface Walk {
  /** The shard's first slot when the scan began (the fallback to find it again). */
  readonly slot: number
  /** Node ids of its master and replicas: one of them serves it after a failover. */
  readonly members: ReadonlySet<string>
}

/** Where a walk is: the next cursor, valid only on the node that gave it. */
interface Page {
  readonly cursor: string
  readonly node: string | undefined
}

/**
 * Where a key walk is: the next cursor and the node that gave it. `undefined`: no node chosen yet
 * (the walk starts); `"master"`: start again on the slot's current master; `"routed"`: the slot
 * is migrating and pages go through the executor (its cursor is the master's or the importing
 * node's, whichever holds the key).
 */
interface KeyPage {
  readonly cursor: string
  readonly node: Endpoint | "master" | "routed" | undefined
}

/**
 * Options of `hscan`/`sscan`/`zscan`.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyScanOptions {
  readonly match?: string | undefined
  readonly count?: number | undefined
}

const scanArgs = (head: ReadonlyArray<Resp.RespArg>, cursor: string, o: ScanOptions | undefined): Array<Resp.RespArg> => {
  const args = matchCountArgs(head, cursor, o)
  if (o?.type !== undefined) args.push("TYPE", o.type)
  return args
}

/** A `[cursor, [items...]]` reply. */
const page = R.labelled("[cursor, items]", R.array, (cursor, items) => [cursor, items] as const)

const pageCommand = (name: string, args: ReadonlyArray<Resp.RespArg>, keys: ReadonlyArray<Resp.RespArg>) =>
  new Command(name, args, keys as ReadonlyArray<string>, READONLY, page, keys.length === 0 ? "any" : "key")

/**
 * What the streams need from the client.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScanDeps {
  readonly topology: TopologyEngine
  readonly execute: <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  readonly executeOn: <A>(node: Endpoint, command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  /** Fresh retry state for one call. */
  readonly retries: () => Retries
  /**
   * The client's picker: `readFrom` chooses the node a key walk stays on. Without it, key walks
   * stay on the slot's master.
   */
  readonly picker?: NodePicker | undefined
}

/**
 * Builds the scan streams.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (deps: ScanDeps) => {
  /**
   * The master a walk continues on: the node it is on while that still serves slots as a master;
   * else a member of its shard that took over (a promoted replica), preferring one that serves
   * the walk's first slot; else whoever serves that slot now.
   */
  const masterFor = (walk: Walk, current: string | undefined): ClusterNode | undefined => {
    const snapshot = deps.topology.current()
    const serving = snapshot.shards.filter((s) => s.ranges.length > 0)
    const still = current === undefined ? undefined : serving.find((s) => s.master.address === current)
    if (still !== undefined) return still.master
    const owner = snapshot.slots[walk.slot]
    if (owner !== undefined && walk.members.has(owner.master.id)) return owner.master
    return serving.find((s) => walk.members.has(s.master.id))?.master ?? owner?.master
  }

  /** One SCAN call of a walk, riding out a failover; restarts the walk on a new node. */
  const scanOn = (walk: Walk, at: Page, options: ScanOptions | undefined) =>
    Effect.gen(function*() {
      const retries = deps.retries()
      while (true) {
        const master = masterFor(walk, at.node)
        if (master === undefined) return yield* Effect.fail(new ClusterError.SlotNotCoveredError({ slot: walk.slot, command: "SCAN" }))
        const cursor = at.node === undefined || at.node === master.address ? at.cursor : "0"
        const result = yield* Effect.result(deps.executeOn(master, pageCommand("SCAN", scanArgs(["SCAN"], cursor, options), [])))
        if (Result.isSuccess(result)) return [master.address, result.success] as const
        const error = result.failure
        const recovery = recoveryOf(error, { readOnly: true })
        if (recovery._tag === "Fail") {
          yield* refreshFor(deps.topology, recovery)
          return yield* Effect.fail(error)
        }
        // The master may have died, been demoted or lost its slots: a cursor only means something
        // on its node, so the walk finds who serves them now (never a redirect's target).
        const reason = recovery._tag === "Redirect" ? "moved" : recovery.refresh
        if (reason !== undefined) yield* Effect.result(deps.topology.refresh(reason))
        if (!(yield* retries.wait(recovery._tag === "Retry" ? recovery.kind : "reconnect", error))) return yield* Effect.fail(error)
      }
    })

  const textOf = (v: Resp.RespValue): string | ReplyShape => R.string(v)

  const decodeAll = <A>(items: ReadonlyArray<Resp.RespValue>, f: (v: Resp.RespValue) => A | ReplyShape, command: string) => {
    const out: Array<A> = []
    for (const item of items) {
      const a = f(item)
      if (a instanceof ReplyShape) return Effect.fail(new ClusterError.ProtocolError({ command, reason: a.reason }))
      out.push(a)
    }
    return Effect.succeed(out)
  }

  /** Every key of every master once (see the module's guarantee). */
  const scan = (options?: ScanOptions): Stream.Stream<string, ClusterError.RedisClusterError> =>
    Stream.suspend(() => {
      // One walk per shard that serves slots, identified by its members so a failover keeps it.
      const walks = deps.topology.current().shards.filter((s) => s.ranges.length > 0).map((s): Walk => ({
        slot: s.ranges[0]![0],
        members: new Set([s.master.id, ...s.replicas.map((r) => r.id)])
      }))
      const first: Page = { cursor: "0", node: undefined }
      return Stream.flatMap(
        Stream.fromIterable(walks),
        (walk) =>
          Stream.paginate(first, (at) =>
            Effect.flatMap(scanOn(walk, at, options), ([node, [next, items]]) =>
              Effect.map(decodeAll(items, textOf, "SCAN"), (keys) => [keys, next === "0" ? Option.none() : Option.some({ cursor: next, node })] as const)
            )),
        { concurrency: 1 }
      )
    })

  /**
   * The node a key walk goes to: the slot's current master, or (at the start of a walk) the node
   * `readFrom` picks. An uncovered slot gets one refresh before the walk fails.
   */
  const nodeFor = (slot: number, name: string, pick: boolean): Effect.Effect<ClusterNode, ClusterError.RedisClusterError> =>
    Effect.suspend(() => {
      const choose = (): ClusterNode | undefined => {
        const snapshot = deps.topology.current()
        const shard = snapshot.slots[slot]
        if (shard === undefined) return undefined
        return pick && deps.picker !== undefined ? deps.picker.pick(shard, snapshot, true) : shard.master
      }
      const now = choose()
      if (now !== undefined) return Effect.succeed(now)
      return Effect.flatMap(Effect.result(deps.topology.refresh("uncovered-slot")), () => {
        const after = choose()
        return after !== undefined ? Effect.succeed(after) : Effect.fail(new ClusterError.SlotNotCoveredError({ slot, command: name }))
      })
    })

  /** One page of a key walk, on the walk's node; restarts the walk when that node fails. */
  const keyPageOn = (
    slot: number,
    name: string,
    build: (cursor: string) => Command<readonly [string, ReadonlyArray<Resp.RespValue>]>,
    at: KeyPage
  ) =>
    Effect.gen(function*() {
      const retries = deps.retries()
      let { cursor, node } = at
      while (true) {
        if (deps.topology.isMigrating(slot)) {
          // Half-moved: the key is on the master or on the importing node, reachable only with
          // ASKING, which the executor sends. A cursor from a pinned node means nothing there.
          if (node !== "routed") cursor = "0"
          const reply = yield* deps.execute(build(cursor))
          return ["routed", reply] as const
        }
        if (typeof node !== "object") {
          // The walk starts (readFrom chooses), restarts after a failure, or its slot's migration
          // ended: a fresh cursor on a node chosen now, kept for the rest of the walk.
          if (node !== undefined) cursor = "0"
          node = yield* nodeFor(slot, name, node === undefined)
        }
        const result = yield* Effect.result(deps.executeOn(node, build(cursor)))
        if (Result.isSuccess(result)) return [node, result.success] as const
        const error = result.failure
        const recovery = recoveryOf(error, { readOnly: true })
        if (recovery._tag === "Fail") {
          yield* refreshFor(deps.topology, recovery)
          return yield* Effect.fail(error)
        }
        if (error._tag === "MovedError" || error._tag === "AskError") {
          // The map learns of it (MOVED patches it, ASK marks the slot migrating); the walk itself
          // starts again on the slot's node, never on a redirect's target with an old cursor.
          deps.topology.noteRedirect(error)
        } else {
          yield* refreshFor(deps.topology, recovery)
        }
        if (!(yield* retries.wait(recovery._tag === "Retry" ? recovery.kind : "reconnect", error))) return yield* Effect.fail(error)
        node = "master"
      }
    })

  /** Walks one key's collection (`HSCAN`/`SSCAN`/`ZSCAN`) on one node (see the module's header). */
  const keyScan = <A>(name: string, key: string | Uint8Array, options: KeyScanOptions | undefined, group: number, f: (items: ReadonlyArray<Resp.RespValue>) => A | ReplyShape) =>
    Stream.suspend(() => {
      const slot = Slot.slot(key)
      const build = (cursor: string) => pageCommand(name, scanArgs([name, key], cursor, options), [key])
      const first: KeyPage = { cursor: "0", node: undefined }
      return Stream.paginate(first, (at) =>
        Effect.flatMap(keyPageOn(slot, name, build, at), ([node, [next, items]]) => {
          const out: Array<A> = []
          for (let i = 0; i + group <= items.length; i += group) {
            const a = f(items.slice(i, i + group))
            if (a instanceof ReplyShape) return Effect.fail(new ClusterError.ProtocolError({ command: name, reason: a.reason }))
            out.push(a)
          }
          const rest: Option.Option<KeyPage> = next === "0" ? Option.none() : Option.some({ cursor: next, node })
          return Effect.succeed([out, rest] as const)
        }))
    })

  const pair = R.pairOf(R.string, R.string)

  return {
    scan,
    hscan: (key: string | Uint8Array, options?: KeyScanOptions): Stream.Stream<readonly [string, string], ClusterError.RedisClusterError> =>
      keyScan("HSCAN", key, options, 2, (items) => pair(items[0]!, items[1]!)),
    sscan: (key: string | Uint8Array, options?: KeyScanOptions): Stream.Stream<string, ClusterError.RedisClusterError> =>
      keyScan("SSCAN", key, options, 1, (items) => R.string(items[0]!)),
    zscan: (key: string | Uint8Array, options?: KeyScanOptions): Stream.Stream<{ readonly member: string; readonly score: number }, ClusterError.RedisClusterError> =>
      keyScan("ZSCAN", key, options, 2, (items) => R.scored(items[0]!, items[1]!))
  }
}
