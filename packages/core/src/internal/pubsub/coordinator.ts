/**
 * The coordinator: one fiber per client that places subscriptions on subscriber connections. It
 * wakes when the hub records something (a new stream, a lost connection, a slot move) or at the
 * next deadline, and reconciles the whole state in one pass: unused subscriptions go, classic ones
 * are (re)placed on one node, sharded ones on their slot's node, and the queued commands are sent.
 * Keeping every decision in this one fiber is why the data handlers never wait or race each other.
 *
 * @internal
 */
import { Effect, Exit, PubSub as EffectPubSub, Result, Scope } from "effect"
import type { Context } from "effect"
import * as Deadline from "../deadline.js"
import type { ReadFrom } from "../../Router.js"
import * as ClusterError from "../../ClusterError.js"
import type { Connector } from "../../Connector.js"
import * as NodeConnection from "../../NodeConnection.js"
import type { SubscriptionEvent } from "../../PubSub.js"
import type { ClusterNode, Shard, TopologySnapshot } from "../../Topology.js"
import { SUBSCRIBE } from "./commands.js"
import { millis } from "./hub.js"
import type { Hub, Note } from "./hub.js"
import type { Entry } from "./listener.js"
import { Session } from "./session.js"

/** While a subscription waits for a node, the topology is refreshed this often (ms): soon enough to find one, rare enough not to flood the cluster. */
const REFRESH_EVERY = 300

const isValidFor = (address: string, shard: Shard, readFrom: ReadFrom): boolean =>
  shard.master.address === address || (readFrom !== "master" && shard.readReplicas.some((r) => r.address === address))

/**
 * Publishes the hub's notes as `subscriptionEvents` and debug log lines. Notes alike but for the
 * name are merged, so that losing a node's thousand channels is one event, not a thousand.
 */
const flushNotes = (hub: Hub): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (hub.notes.length === 0) return Effect.void
    const notes = hub.notes
    hub.notes = []
    // One event and one log line per run of notes alike but for the name.
    const groups: Array<{ first: Note; names: Array<string>; gap: number }> = []
    const index = new Map<string, number>()
    for (const n of notes) {
      const key = `${n.tag}|${n.kind}|${n.node}|${n.reason ?? ""}|${n.resubscribed === true}|${n.error?._tag ?? ""}`
      const at = index.get(key)
      if (at === undefined) {
        index.set(key, groups.length)
        groups.push({ first: n, names: [n.name], gap: n.gapMillis ?? 0 })
      } else {
        const g = groups[at]!
        g.names.push(n.name)
        g.gap = Math.max(g.gap, n.gapMillis ?? 0)
      }
    }
    return Effect.forEach(groups, ({ first, names, gap }) => {
      let event: SubscriptionEvent
      let line: string
      const list = names.length > 10 ? `${names.slice(0, 10).join(", ")} (+${names.length - 10})` : names.join(", ")
      switch (first.tag) {
        case "Subscribed":
          event = { _tag: "Subscribed", kind: first.kind, names, node: first.node, resubscribed: first.resubscribed === true, gapMillis: gap }
          line = first.resubscribed === true
            ? `pub/sub: resubscribed ${first.kind} ${list} on ${first.node} after a gap of ${gap} ms`
            : `pub/sub: subscribed ${first.kind} ${list} on ${first.node}`
          break
        case "Lost":
          event = { _tag: "Lost", kind: first.kind, names, node: first.node, reason: first.reason ?? "" }
          line = `pub/sub: lost ${first.kind} ${list} on ${first.node}: ${first.reason ?? ""}`
          break
        case "Refused":
          event = { _tag: "Refused", kind: first.kind, names, node: first.node, error: first.error! }
          line = `pub/sub: ${first.node} refused ${SUBSCRIBE[first.kind]} ${list} (${first.error?.message ?? ""}); trying again`
          break
        case "Unsubscribed":
          event = { _tag: "Unsubscribed", kind: first.kind, names }
          line = `pub/sub: unsubscribed ${first.kind} ${list}`
          break
        case "Failed":
          event = { _tag: "Failed", kind: first.kind, names, error: first.error! }
          line = `pub/sub: ${first.kind} ${list} failed: ${first.error?.message ?? ""}`
          break
      }
      EffectPubSub.publishUnsafe(hub.events, event)
      return Effect.logDebug(line).pipe(Effect.annotateLogs({ "pubsub.kind": first.kind, "pubsub.node": first.node }))
    }, { discard: true })
  })

/**
 * The coordinator's loop, to fork in the client's scope: it never ends on its own, and a defect in
 * one pass is logged and retried rather than left to stall every stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCoordinator = (
  hub: Hub,
  scope: Scope.Scope,
  context: Context.Context<Connector>
) => {
  const pingInterval = millis(hub.options.pingInterval, 1000)
  const pingTimeout = millis(hub.options.pingTimeout, 2000)

  const runSession = (session: Session): Effect.Effect<void> =>
    Effect.gen(function*() {
      const sessionScope = yield* Scope.make()
      yield* Effect.gen(function*() {
        const connection = yield* NodeConnection.make({
          ...hub.options.connection,
          commandTimeout: undefined,
          host: session.node.host,
          port: session.node.port,
          subscriber: true,
          onPush: (push) => session.onPush(push)
        }).pipe(Scope.provide(sessionScope), Effect.provide(context))
        if (session.dead) return
        session.connection = connection
        session.toSubscribe = session.all()
        yield* session.flush()
        // Health check: a paused or partitioned node keeps its socket open but answers nothing.
        // While messages flow the connection is alive; a PONG stuck behind a backlog of
        // messages that is still draining is not a failure either.
        const ping = Effect.gen(function*() {
          while (true) {
            const before = session.seen
            yield* Effect.sleep(pingInterval)
            if (session.seen !== before) continue
            const result = yield* Effect.result(connection.send(["PING"], true, pingTimeout))
            if (Result.isFailure(result) && !(result.failure._tag === "TimeoutError" && session.seen !== before)) return result.failure
          }
        })
        const reason = yield* Effect.raceFirst(connection.closed, ping)
        hub.sessionDied(session, reason)
      }).pipe(
        Effect.catch((error) => Effect.sync(() => hub.sessionDied(session, error))),
        Effect.ensuring(Scope.close(sessionScope, Exit.void))
      )
    })

  const startSession = (role: "classic" | "shard", node: ClusterNode) =>
    Effect.gen(function*() {
      const session = new Session(hub, role, node)
      session.fiber = yield* Effect.forkIn(runSession(session), scope)
      return session
    })

  /** Closes a session on purpose: its entries lose their subscription. */
  const stopSession = (session: Session, reason: string) =>
    Effect.suspend(() => {
      if (!session.dead) {
        session.dead = true
        for (const entry of session.all()) hub.lost(entry, session, reason, undefined, false)
        session.channels.clear()
        session.patterns.clear()
      }
      if (hub.classic === session) hub.classic = undefined
      if (hub.shardSessions.get(session.address) === session) hub.shardSessions.delete(session.address)
      const fiber = session.fiber
      return fiber === undefined ? Effect.void : Effect.sync(() => fiber.interruptUnsafe())
    })

  const pickClassicNode = (snapshot: TopologySnapshot, now: number): ClusterNode | undefined => {
    const nodes = Array.from(snapshot.nodes.values()).filter((n) => n.health !== "failed" && !hub.isBad(n.address, now))
    const online = nodes.filter((n) => n.health === "online")
    const pool = online.length > 0 ? online : nodes
    return pool.length === 0 ? undefined : pool[Math.floor(Math.random() * pool.length)]
  }

  const pickShardNode = (shard: Shard, snapshot: TopologySnapshot, now: number): ClusterNode | undefined => {
    const first = hub.picker.pick(shard, snapshot, true)
    if (!hub.isBad(first.address, now)) return first
    const candidates = hub.picker.readFrom === "master" ? [shard.master] : [...shard.readReplicas, shard.master]
    return candidates.find((n) => !hub.isBad(n.address, now))
  }

  const reconcile = Effect.gen(function*() {
    hub.dirty = false
    if (hub.closed) return 0
    const now = Deadline.now()
    let wakeAt = 0
    const at = (t: number) => {
      if (t > 0 && (wakeAt === 0 || t < wakeAt)) wakeAt = t
    }

    // Unused subscriptions go; subscriptions not re-established in time fail their streams.
    for (const [key, entry] of hub.entries) {
      if (entry.listeners.size === 0) {
        entry.session?.remove(entry)
        hub.entries.delete(key)
        hub.note({ tag: "Unsubscribed", kind: entry.kind, name: entry.name, node: "" })
        continue
      }
      if (!entry.confirmed && entry.lostAt !== undefined) {
        if (now - entry.lostAt >= hub.resubscribeTimeout) {
          const error = entry.lastError ?? new ClusterError.TimeoutError({
            host: entry.session?.node.host,
            port: entry.session?.node.port,
            command: SUBSCRIBE[entry.kind],
            timeoutMillis: hub.resubscribeTimeout
          })
          entry.session?.remove(entry)
          hub.failEntry(entry, error)
          hub.entries.delete(key)
          continue
        }
        at(entry.lostAt + hub.resubscribeTimeout)
      }
    }

    // A server-pushed `sunsubscribe` means the slot moved: learn where before resubscribing.
    if (hub.refreshWanted) {
      hub.refreshWanted = false
      hub.lastRefreshRequest = Deadline.now()
      // Bounded: a refresh that hangs (nodes unreachable) goes on in the background.
      yield* Effect.ignore(Effect.timeout(hub.topology.refresh("moved"), "1 second"))
    }
    const snapshot = hub.topology.current()
    // Something waits for a subscription: keep the topology fresh until it is placed.
    let waiting = false
    for (const entry of hub.entries.values()) {
      if (!entry.confirmed && entry.lostAt !== undefined && now - entry.lostAt > 100) waiting = true
    }

    // Classic channels and patterns: one connection for all of them.
    const classicEntries: Array<Entry> = []
    const shardEntries: Array<Entry> = []
    for (const entry of hub.entries.values()) (entry.kind === "shard" ? shardEntries : classicEntries).push(entry)
    let classic = hub.classic
    if (classic !== undefined && classicEntries.length === 0) {
      yield* stopSession(classic, "no subscriptions left")
      classic = undefined
    }
    if (classic !== undefined) {
      const node = snapshot.nodes.get(classic.address)
      if (node === undefined || node.health === "failed") {
        yield* stopSession(classic, node === undefined ? "the node left the cluster" : "the node is marked failed")
        classic = undefined
      }
    }
    if (classicEntries.length > 0) {
      if (classic === undefined) {
        const node = pickClassicNode(snapshot, now)
        if (node !== undefined) {
          classic = yield* startSession("classic", node)
          hub.classic = classic
        } else {
          waiting = true
          for (const b of hub.bad.values()) at(b.until)
        }
      }
      if (classic !== undefined) {
        for (const entry of classicEntries) if (entry.session !== classic) classic.add(entry)
      }
    }

    // Sharded channels: on the node serving their slot.
    for (const entry of shardEntries) {
      if (entry.retryAt > now) {
        at(entry.retryAt)
        continue
      }
      const shard = snapshot.slots[entry.slot]
      if (shard === undefined) {
        waiting = true
        continue
      }
      const current = entry.session
      if (current !== undefined && !current.dead && isValidFor(current.address, shard, hub.picker.readFrom)) continue
      const target = pickShardNode(shard, snapshot, now)
      if (target === undefined) {
        waiting = true
        for (const n of [shard.master, ...shard.readReplicas]) {
          const b = hub.bad.get(n.address)
          if (b !== undefined) at(b.until)
        }
        continue
      }
      if (current !== undefined) {
        hub.lost(entry, current, `slot ${entry.slot} is now served by ${target.address}`, undefined, false)
        current.remove(entry)
      }
      let session = hub.shardSessions.get(target.address)
      if (session === undefined || session.dead) {
        session = yield* startSession("shard", target)
        hub.shardSessions.set(target.address, session)
      }
      session.add(entry)
    }

    // Idle connections close; the others send what was queued.
    for (const session of Array.from(hub.shardSessions.values())) {
      if (session.size === 0) yield* Effect.andThen(session.flush(), stopSession(session, "no subscriptions left"))
      else yield* session.flush()
    }
    if (hub.classic !== undefined) yield* hub.classic.flush()

    if (waiting) {
      if (now - hub.lastRefreshRequest >= REFRESH_EVERY) {
        hub.lastRefreshRequest = now
        hub.topology.requestRefresh("connection-lost")
      }
      at(hub.lastRefreshRequest + REFRESH_EVERY)
    }
    return wakeAt
  })

  // A defect in one pass must not stop the coordinator (every stream would stall): log it, retry soon.
  const pass = (deadline: number) =>
    Effect.gen(function*() {
      yield* hub.waitSignal(deadline)
      const next = hub.dirty ? yield* reconcile : deadline
      yield* flushNotes(hub)
      return next
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.as(Effect.logError("pub/sub coordinator pass failed; retrying", cause), Deadline.now() + 100)
      )
    )
  return Effect.gen(function*() {
    let deadline = 0
    while (true) deadline = yield* pass(deadline)
  })
}
