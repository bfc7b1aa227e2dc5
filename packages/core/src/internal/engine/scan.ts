/**
 * Cursor iteration as Streams. `scan` walks every shard's master with a cursor of its own, one
 * after another. When a master fails over mid-walk, the walk starts again from cursor 0 on the
 * promoted replica: a cursor means nothing on another node (each server seeds its own hash
 * function, so keys sit in different buckets). `hscan`/`sscan`/`zscan` walk one key on its slot owner.
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
import type { ClusterNode } from "../../Topology.js"
import { Command, READONLY, scanArgs as matchCountArgs } from "../command/command.js"
import * as R from "../command/reply.js"
import { ReplyShape } from "../command/reply.js"
import { recoveryOf } from "./recovery.js"
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
          if (recovery.refresh !== undefined) deps.topology.requestRefresh(recovery.refresh)
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

  /** Walks one key's collection (`HSCAN`/`SSCAN`/`ZSCAN`) on its slot owner. */
  const keyScan = <A>(name: string, key: string | Uint8Array, options: KeyScanOptions | undefined, group: number, f: (items: ReadonlyArray<Resp.RespValue>) => A | ReplyShape) =>
    Stream.paginate("0", (cursor) =>
      Effect.flatMap(deps.execute(pageCommand(name, scanArgs([name, key], cursor, options), [key])), ([next, items]) => {
        const out: Array<A> = []
        for (let i = 0; i + group <= items.length; i += group) {
          const a = f(items.slice(i, i + group))
          if (a instanceof ReplyShape) return Effect.fail(new ClusterError.ProtocolError({ command: name, reason: a.reason }))
          out.push(a)
        }
        return Effect.succeed([out, next === "0" ? Option.none() : Option.some(next)] as const)
      }))

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
