/**
 * The topology engine behind `ClusterTopology`: discovery, adaptive and periodic refreshes, and
 * the patches the engine applies between refreshes (MOVED, ASK). Only the engine sees the
 * mutators; users get the read-only `ClusterTopologyService`.
 *
 * @internal
 */
import { Deferred, Duration, Effect, Exit, Option, Result, Schedule, SubscriptionRef } from "effect"
import type { Scope } from "effect"
import * as Deadline from "../deadline.js"
import * as ClusterError from "../../ClusterError.js"
import type { Endpoint } from "../../Connector.js"
import type * as NodeConnection from "../../NodeConnection.js"
import type { ClusterNode, ClusterTopologyService, RefreshReason, Shard, TopologySnapshot } from "../../Topology.js"
import * as R from "../command/reply.js"
import { ReplyShape } from "../command/reply.js"
import * as Discovery from "./discovery.js"
import { addressOf, getWithin } from "./pool.js"
import type { Lifecycle } from "./lifecycle.js"
import type { ConnectionPool } from "./pool.js"

/**
 * The topology as the engine sees it: the public service plus what commands do to it.
 *
 * @since 0.1.0
 * @category models
 */
export interface TopologyEngine extends ClusterTopologyService {
  /** Starts a refresh in the background unless one is in flight; never waits. */
  readonly requestRefresh: (reason: RefreshReason) => void
  /**
   * Follows a MOVED or an ASK: resolves its target (`"?"` or an empty host is the known node on
   * that port; anything else goes through `remap`). A target the map does not name is checked
   * first (`validateRedirects`): the map is refreshed at once, and a target still unknown fails
   * with `UntrustedRedirectError`, with no connection opened to it. Then for MOVED the slot map is
   * patched (and a refresh requested: a MOVED rarely comes alone), for ASK the slot is marked as
   * migrating. Gives the node to send the command to: the map's own node.
   */
  readonly followRedirect: (
    redirect: ClusterError.MovedError | ClusterError.AskError,
    command?: string
  ) => Effect.Effect<Endpoint, ClusterError.UntrustedRedirectError | ClusterError.ClientClosedError>
  /**
   * Records a redirect without following it (a subscription, a failed WATCH): as `followRedirect`
   * for a known target; an unknown one only starts a refresh.
   */
  readonly noteRedirect: (redirect: ClusterError.MovedError | ClusterError.AskError) => void
  /** `true` while reads of `slot` must go to its master: it was half-moved (ASK) a moment ago. */
  readonly isMigrating: (slot: number) => boolean
  /** Applies `hostPortRemap` to an address from elsewhere (a user's `executeOn` endpoint). */
  readonly remap: (endpoint: Endpoint) => Endpoint
}

/**
 * What the topology needs from the client's configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface TopologyOptions {
  readonly startupNodes: ReadonlyArray<Endpoint>
  readonly tls: boolean
  readonly followCluster: boolean
  readonly skipFullCoverageCheck: boolean
  readonly remap: (endpoint: Endpoint) => Endpoint
  /** Minimum time between the starts of two refreshes. */
  readonly minRefreshIntervalMillis: number
  /** 0 disables periodic refresh. */
  readonly refreshIntervalMillis: number
  /** Measure latency to every node at each refresh (`readFrom: "nearest"`). */
  readonly measureLatency: boolean
  /** How long one node may take to give its view (connect included); never 0. */
  readonly discoveryTimeoutMillis: number
  /** How long the connection of a node that left the topology may finish its in-flight commands. */
  readonly retireGraceMillis: number
  /** How many nodes are asked for their view at each refresh. */
  readonly consensusSize?: number | undefined
  /**
   * After this many MOVED since the last refresh, the next refresh skips the rate limit
   * (`reinitialize_steps`); 0 disables the count.
   */
  readonly refreshAfterMoved?: number | undefined
  /** Called with every reason a refresh starts, and every refresh's outcome (metrics). */
  readonly onRefresh?: ((reason: RefreshReason, ok: boolean) => void) | undefined
  /**
   * Follow MOVED/ASK only to nodes of the map (after a refresh if needed); off: follow any target
   * (default on: a forged redirect must not receive the credentials and the commands).
   */
  readonly validateRedirects: boolean
  /** The client's open/closed state (refreshes stop the moment it closes). */
  readonly life: Lifecycle
  /** Called for every address that left the map (the blocking pool forgets it). */
  readonly onRetire?: ((address: string) => Effect.Effect<void>) | undefined
  /** Called with every redirect followed (metrics). */
  readonly onRedirect?: ((kind: "moved" | "ask") => void) | undefined
}

const toNode = (n: Discovery.NodeView, known: ReadonlyMap<string, ClusterNode>): ClusterNode => {
  const id = n.id === "" ? `${n.host}:${n.port}` : n.id
  // A node that announces no endpoint is spelled as whichever host we asked ("localhost" or
  // "127.0.0.1"): keep the address we already use, so connections stay put. A node that announces
  // an endpoint is taken at its word, so a real change of endpoint is followed.
  const previous = known.get(id)
  const host = n.inferredHost === true && previous !== undefined && previous.port === n.port ? previous.host : n.host
  return { id, host, port: n.port, address: `${host}:${n.port}`, role: n.role, health: n.health, hostname: n.hostname }
}

/**
 * Builds the routing snapshot of a view.
 *
 * @since 0.1.0
 * @category constructors
 */
export const snapshotOf = (
  view: ReadonlyArray<Discovery.ShardView>,
  version: number,
  latency: ReadonlyMap<string, number> = new Map(),
  previous?: TopologySnapshot
): TopologySnapshot => {
  const known = new Map<string, ClusterNode>()
  if (previous !== undefined) for (const n of previous.nodes.values()) known.set(n.id, n)
  const slots = new Array<Shard | undefined>(16384).fill(undefined)
  const shards: Array<Shard> = []
  const nodes = new Map<string, ClusterNode>()
  for (const s of view) {
    const master = toNode(s.master, known)
    const replicas = s.replicas.map((r) => toNode(r, known))
    const shard: Shard = {
      master,
      replicas,
      readReplicas: replicas.filter((r) => r.health === "online"),
      ranges: s.ranges
    }
    shards.push(shard)
    nodes.set(master.address, master)
    for (const r of replicas) nodes.set(r.address, r)
    for (const [a, b] of s.ranges) {
      for (let i = Math.max(0, a); i <= Math.min(16383, b); i++) slots[i] = shard
    }
  }
  let uncovered = 0
  for (let i = 0; i < 16384; i++) if (slots[i] === undefined) uncovered++
  return { version, slots, shards, nodes, latency, uncovered }
}

const shuffle = <A>(items: ReadonlyArray<A>): Array<A> => {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

const dedupe = (endpoints: ReadonlyArray<Endpoint>): Array<Endpoint> => {
  const seen = new Set<string>()
  const out: Array<Endpoint> = []
  for (const e of endpoints) {
    const a = addressOf(e)
    if (!seen.has(a)) {
      seen.add(a)
      out.push(e)
    }
  }
  return out
}

/** Asks one node for its view: `CLUSTER SHARDS` (or `CLUSTER SLOTS` on older servers) and its epoch. */
const askNode = (
  connection: NodeConnection.NodeConnection,
  options: TopologyOptions
): Effect.Effect<Discovery.View, ClusterError.RedisClusterError> =>
  Effect.gen(function*() {
    const asked = connection.endpoint
    const [shardsReply, info] = yield* Effect.all([
      connection.send(["CLUSTER", "SHARDS"]).pipe(
        Effect.map((reply) => ({ kind: "shards" as const, reply })),
        Effect.catchIf(
          (e): e is ClusterError.ReplyError => e._tag === "ReplyError" && /unknown subcommand|unknown command/i.test(e.reply),
          () => Effect.map(connection.send(["CLUSTER", "SLOTS"]), (reply) => ({ kind: "slots" as const, reply }))
        )
      ),
      connection.send(["CLUSTER", "INFO"])
    ], { concurrency: "unbounded" })
    const shards = shardsReply.kind === "shards"
      ? Discovery.parseShards(shardsReply.reply, asked, options.tls, options.remap)
      : Discovery.parseSlots(shardsReply.reply, asked, options.remap)
    if (shards instanceof ReplyShape) {
      return yield* new ClusterError.ProtocolError({
        host: asked.host,
        port: asked.port,
        command: shardsReply.kind === "shards" ? "CLUSTER SHARDS" : "CLUSTER SLOTS",
        reason: shards.reason
      })
    }
    const fields = R.infoLines(info)
    const epoch = fields instanceof ReplyShape ? 0 : Number(fields["cluster_current_epoch"] ?? 0)
    return { shards, epoch }
  })

/** Least time between two refreshes requested by timed-out commands. */
const TIMEOUT_REFRESH_SPACING_MILLIS = 1_000

/** How long a refresh waits for the other nodes it asked once a majority answered. */
const STRAGGLER_GRACE_MILLIS = 200

/** How long after its last ASK a slot's reads stay on its master. */
const MIGRATING_HOLD_MILLIS = 10_000

/**
 * Builds the topology: discovers the cluster from the startup nodes (failing when none answers),
 * then keeps the map fresh until the scope closes. Nodes that leave have their connections closed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  pool: ConnectionPool,
  options: TopologyOptions
): Effect.Effect<TopologyEngine, ClusterError.RedisClusterError, Scope.Scope> =>
  Effect.gen(function*() {
    // Seeds are addresses the user can reach as given: remapping is for what nodes announce.
    const seeds = dedupe(options.startupNodes)
    const consensus = options.consensusSize ?? 3
    let version = 0
    let snapshot: TopologySnapshot = snapshotOf([], 0)
    // Monotonic time starts near 0 at process start: "never" must be far in the past.
    let lastStart = -Infinity
    let refreshes = 0
    let movedSinceRefresh = 0
    const life = options.life
    /** Ends the rate-limit wait of the queued refresh (set while it waits). */
    let hurry: Deferred.Deferred<void> | undefined
    let inflight: Deferred.Deferred<TopologySnapshot, ClusterError.RedisClusterError> | undefined
    const ref = yield* SubscriptionRef.make(snapshot)
    const scope = yield* Effect.scope
    const runFork = Effect.runForkWith(yield* Effect.context<never>())

    const candidates = (): Array<Endpoint> => {
      const known = shuffle(Array.from(snapshot.nodes.values()).filter((n) => n.health !== "failed"))
      const seedList = shuffle(seeds)
      // followCluster: the cluster as we last saw it first; otherwise the configured seeds first.
      return dedupe(options.followCluster ? [...known, ...seedList] : [...seedList, ...known])
    }

    // One round trip per healthy node, each bounded: a frozen node must not hold the new map back.
    const measure = (nodes: ReadonlyArray<ClusterNode>) =>
      Effect.forEach(
        nodes.filter((n) => n.health !== "failed"),
        (node) =>
          getWithin(pool, node, 1000, () => new ClusterError.TimeoutError({ host: node.host, port: node.port, command: "CONNECT", timeoutMillis: 1000 })).pipe(
            Effect.flatMap((c) => {
              const start = Deadline.now()
              return Effect.map(c.send(["PING"], false, 1000), () => [node.address, Deadline.now() - start] as const)
            }),
            Effect.option
          ),
        { concurrency: "unbounded" }
      ).pipe(Effect.map((rs) => new Map(rs.flatMap((r) => Option.isSome(r) ? [r.value] : []))))

    /**
     * Asks every node of `batch` for its view. Once `quorum` views are in, the others get a short
     * grace and are then left behind: a node that stopped answering (frozen, partitioned) must not
     * hold every refresh for a whole command timeout, just when a refresh matters most.
     */
    const askAll = (batch: ReadonlyArray<Endpoint>, quorum: number) =>
      Effect.gen(function*() {
        const answers: Array<Result.Result<Discovery.View, ClusterError.RedisClusterError>> = []
        const enough = yield* Deferred.make<void>()
        let views = 0
        // Each node's answer is bounded, always (whatever commandTimeout says): a node that
        // accepts and never answers must not hold this refresh, and every later one joining it.
        const ask = (endpoint: Endpoint) =>
          Effect.result(Effect.timeoutOrElse(Effect.flatMap(pool.get(endpoint), (c) => askNode(c, options)), {
            duration: Duration.millis(options.discoveryTimeoutMillis),
            // Its connection stopped answering: replace it (commands waiting on it would wait as long).
            orElse: () =>
              Effect.andThen(
                pool.close(addressOf(endpoint)),
                Effect.fail(
                  new ClusterError.TimeoutError({ host: endpoint.host, port: endpoint.port, command: "CLUSTER SHARDS", timeoutMillis: options.discoveryTimeoutMillis })
                )
              )
          })).pipe(
            Effect.flatMap((answer) => {
              answers.push(answer)
              return Result.isSuccess(answer) && ++views === quorum ? Deferred.succeed(enough, undefined) : Effect.void
            })
          )
        yield* Effect.raceFirst(
          Effect.forEach(batch, ask, { concurrency: "unbounded", discard: true }),
          Effect.andThen(Deferred.await(enough), Effect.sleep(Duration.millis(STRAGGLER_GRACE_MILLIS)))
        )
        return answers.slice()
      })

    /** One discovery pass: ask nodes until `consensus` answered, choose, publish. */
    const discover = Effect.gen(function*() {
      const views: Array<Discovery.View> = []
      const errors: Array<ClusterError.RedisClusterError> = []
      const list = candidates()
      // Ask in small concurrent batches until enough nodes answered.
      for (let i = 0; i < list.length && views.length < consensus;) {
        const batch = list.slice(i, i + Math.max(1, consensus - views.length))
        i += batch.length
        const results = yield* askAll(batch, Math.min(batch.length, Math.floor(consensus / 2) + 1))
        for (const r of results) {
          if (Result.isSuccess(r)) views.push(r.success)
          else errors.push(r.failure)
        }
      }
      const chosen = Discovery.chooseView(views)
      if (chosen === undefined) {
        // Keep the real cause visible: a wrong password must not read as "all nodes failed".
        const first = errors.find((e) => e._tag === "ReplyError") ?? errors[0]
        return yield* (first ?? new ClusterError.ConnectionError({
          host: seeds[0]?.host ?? "",
          port: seeds[0]?.port ?? 0,
          reason: "no startup node to ask for the cluster topology"
        }))
      }
      let latency: ReadonlyMap<string, number> = snapshot.latency
      const next = snapshotOf(chosen.shards, 0, undefined, snapshot)
      if (options.measureLatency) latency = yield* measure(Array.from(next.nodes.values()))
      // Numbered only now: a MOVED patch made while latencies were measured is older than this map.
      const published: TopologySnapshot = { ...next, latency, version: ++version }
      // Every connection to an address the new map does not name: nodes that left, and any
      // stray connection (a redirect followed with validateRedirects off).
      const gone = Array.from(new Set([...snapshot.nodes.keys(), ...pool.addresses()])).filter((a) => !published.nodes.has(a))
      snapshot = published
      yield* SubscriptionRef.set(ref, published)
      yield* Effect.forEach(gone, (a) => Effect.andThen(pool.retire(a, options.retireGraceMillis), options.onRetire?.(a) ?? Effect.void), { discard: true })
      return published
    })

    const runRefresh = (reason: RefreshReason, urgent = false) =>
      Effect.gen(function*() {
        const deferred = yield* Deferred.make<TopologySnapshot, ClusterError.RedisClusterError>()
        inflight = deferred
        const wait = urgent ? 0 : lastStart + options.minRefreshIntervalMillis - Deadline.now()
        const wake = yield* Deferred.make<void>()
        hurry = wake
        const task = Effect.raceFirst(Effect.sleep(Duration.millis(Math.max(0, wait))), Deferred.await(wake)).pipe(
          Effect.andThen(Effect.sync(() => {
            hurry = undefined
          })),
          Effect.andThen(Effect.sync(() => {
            lastStart = Deadline.now()
            // Counted from this start: failing refreshes must not make every MOVED urgent.
            movedSinceRefresh = 0
          })),
          Effect.andThen(discover),
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              refreshes++
              inflight = undefined
              options.onRefresh?.(reason, exit._tag === "Success")
            }).pipe(Effect.andThen(Deferred.done(deferred, exit)))
          )
        )
        // In the topology's scope: a caller interrupted while waiting does not cancel the refresh.
        yield* Effect.forkIn(task, scope)
        return deferred
      })

    /** A refresh that skips the rate limit (joining, and hurrying, the one in flight). */
    const refreshNow = (reason: RefreshReason) =>
      Effect.suspend(() => {
        if (life.closed) return Effect.fail(life.closedError("CLUSTER SHARDS"))
        if (inflight !== undefined) {
          if (hurry !== undefined) Deferred.doneUnsafe(hurry, Exit.void)
          return Deferred.await(inflight)
        }
        return Effect.flatMap(runRefresh(reason, true), Deferred.await)
      })

    const refresh = (reason: RefreshReason = "manual") =>
      Effect.suspend(() => {
        if (inflight !== undefined) return Deferred.await(inflight)
        // A refresh forked into the closed scope would never run, and its waiters never wake.
        if (life.closed) return Effect.fail(life.closedError("CLUSTER SHARDS"))
        return Effect.flatMap(runRefresh(reason), Deferred.await)
      })

    const requestRefresh = (reason: RefreshReason, urgent = false) => {
      if (life.closed) return
      // Timeouts also come from merely slow commands: at most one refresh per second for them.
      if (reason === "timeout" && Deadline.now() - lastStart < TIMEOUT_REFRESH_SPACING_MILLIS) return
      if (inflight === undefined) runFork(Effect.asVoid(runRefresh(reason, urgent)))
      // An urgent request cuts short the rate-limit wait of the refresh already queued.
      else if (urgent && hurry !== undefined) Deferred.doneUnsafe(hurry, Exit.void)
    }

    // Publishes whatever map is current when it runs, so a patch never overtakes a newer refresh.
    const publishCurrent = Effect.suspend(() =>
      Effect.flatMap(SubscriptionRef.get(ref), (published) => published.version >= snapshot.version ? Effect.void : SubscriptionRef.set(ref, snapshot))
    )

    /** Slot → when an ASK for it was last seen. */
    const migrating = new Map<number, number>()
    const isMigrating = (slot: number): boolean => {
      if (migrating.size === 0) return false
      const seen = migrating.get(slot)
      if (seen === undefined) return false
      if (Deadline.now() - seen <= MIGRATING_HOLD_MILLIS) return true
      migrating.delete(slot)
      return false
    }

    const applyMoved = (slot: number, endpoint: Endpoint) => {
      migrating.delete(slot)
      const address = addressOf(endpoint)
      const current = snapshot.slots[slot]
      if (current !== undefined && current.master.address === address) return
      let target = snapshot.shards.find((s) => s.master.address === address)
      if (target === undefined) {
        // A node we have not seen yet (a new master, or a promoted replica): route to it directly.
        const known = snapshot.nodes.get(address)
        const master: ClusterNode = { id: known?.id ?? address, host: endpoint.host, port: endpoint.port, address, role: "master", health: "online" }
        target = { master, replicas: [], readReplicas: [], ranges: [[slot, slot]] }
      }
      // Copy on write: a snapshot once handed out never changes under its holder.
      const slots = snapshot.slots.slice()
      slots[slot] = target
      snapshot = { ...snapshot, slots, version: ++version }
      runFork(publishCurrent)
      const every = options.refreshAfterMoved ?? 0
      requestRefresh("moved", every > 0 && ++movedSinceRefresh >= every)
    }

    // Initial discovery: the layer is not built until the cluster answered.
    const initial = yield* refresh("startup")
    if (!options.skipFullCoverageCheck && initial.uncovered > 0) {
      const slot = initial.slots.findIndex((s) => s === undefined)
      return yield* new ClusterError.SlotNotCoveredError({ slot, command: "CLUSTER SHARDS" })
    }

    if (options.refreshIntervalMillis > 0) {
      yield* refresh("periodic").pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(Duration.millis(options.refreshIntervalMillis))),
        Effect.delay(Duration.millis(options.refreshIntervalMillis)),
        Effect.forkScoped
      )
    }
    yield* Effect.addFinalizer(() => {
      life.close()
      const d = inflight
      return d === undefined ? Effect.void : Effect.asVoid(Deferred.interrupt(d))
    })

    const redirectTarget = (host: string, port: number): Endpoint => {
      // "?" (and an empty host, from older servers): the node's preferred endpoint is unknown,
      // so it can only be the node we already know on that port.
      if (host === "?" || host === "") {
        for (const n of snapshot.nodes.values()) if (n.port === port) return n
      }
      return options.remap({ host, port })
    }

    /** Records a redirect whose target is `target` (a node of the map, or trusted anyway). */
    const apply = (redirect: ClusterError.MovedError | ClusterError.AskError, target: Endpoint): Endpoint => {
      const address = addressOf(target)
      if (redirect._tag === "MovedError") {
        options.onRedirect?.("moved")
        applyMoved(redirect.slot, target)
      } else {
        options.onRedirect?.("ask")
        migrating.set(redirect.slot, Deadline.now())
        if (!snapshot.nodes.has(address)) requestRefresh("ask-unknown-node")
      }
      return snapshot.nodes.get(address) ?? target
    }

    const trusted = (address: string) => !options.validateRedirects || snapshot.nodes.has(address)

    const followRedirect = (
      redirect: ClusterError.MovedError | ClusterError.AskError,
      command?: string
    ): Effect.Effect<Endpoint, ClusterError.UntrustedRedirectError | ClusterError.ClientClosedError> => {
      const target = redirectTarget(redirect.host, redirect.port)
      const address = addressOf(target)
      if (trusted(address)) return Effect.succeed(apply(redirect, target))
      // Not in the map: a node it has not caught up with (a new master), or a forged redirect. Only
      // the map, refreshed now from the nodes we know, can say; nothing is sent there before.
      return Effect.flatMap(
        Effect.result(refreshNow(redirect._tag === "MovedError" ? "moved" : "ask-unknown-node")),
        (): Effect.Effect<Endpoint, ClusterError.UntrustedRedirectError | ClusterError.ClientClosedError> =>
        life.closed
          ? Effect.fail(life.closedError(command))
          : trusted(address)
          ? Effect.succeed(apply(redirect, target))
          : Effect.fail(new ClusterError.UntrustedRedirectError({ slot: redirect.slot, host: target.host, port: target.port, command })))
    }

    const noteRedirect = (redirect: ClusterError.MovedError | ClusterError.AskError): void => {
      const target = redirectTarget(redirect.host, redirect.port)
      if (trusted(addressOf(target))) apply(redirect, target)
      else requestRefresh(redirect._tag === "MovedError" ? "moved" : "ask-unknown-node", true)
    }

    return {
      current: () => snapshot,
      refresh,
      requestRefresh,
      followRedirect,
      noteRedirect,
      isMigrating,
      remap: options.remap,
      changes: SubscriptionRef.changes(ref),
      refreshCount: () => refreshes
    }
  })

/**
 * The public, read-only face of the engine's topology: what `RedisCluster.topology` and the
 * `ClusterTopology` service hand out (no mutators, even through a cast).
 *
 * @since 0.1.0
 * @category constructors
 */
export const readOnly = (engine: TopologyEngine): ClusterTopologyService => ({
  current: engine.current,
  refresh: engine.refresh,
  changes: engine.changes,
  refreshCount: engine.refreshCount
})
