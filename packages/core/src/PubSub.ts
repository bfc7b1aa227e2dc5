/**
 * Pub/sub as Streams: classic channels (`SUBSCRIBE`), patterns (`PSUBSCRIBE`) and sharded channels
 * (`SSUBSCRIBE`), re-established across reconnects, failovers and slot moves.
 *
 * ```ts
 * const redis = yield* RedisCluster.RedisCluster
 * // subscribed when the stream starts, unsubscribed when it ends
 * yield* redis.subscribe("news").pipe(Stream.take(10), Stream.runForEach(Effect.log))
 * // confirmed by the server before it returns: a message published now is received
 * const orders = yield* redis.ssubscribeScoped("orders:{eu}", { strategy: "dropOldest" })
 * yield* redis.spublish("orders:{eu}", "o-1")
 * ```
 *
 * ## How it runs on a cluster
 *
 * - Classic channels and patterns: a `PUBLISH` reaches every node of a cluster, so one subscriber
 *   connection for the whole client, on a node picked at random, carries every channel and
 *   pattern. When that connection or node is lost (socket closed, `PING` health check unanswered,
 *   node gone or `fail` in the topology) every channel and pattern is subscribed again on another
 *   node.
 * - Sharded channels: grouped by the node serving their slot (its master; a replica when
 *   `readFrom` allows replicas), one subscriber connection per node. When the slot moves or its
 *   master fails over (the server pushes `sunsubscribe`, the connection is lost, the topology
 *   changes, or a resubscription is answered `MOVED`) the topology is refreshed and the channel is
 *   subscribed on the new owner.
 * - Subscriber connections are dedicated (never the shared command connections), in RESP3 (where
 *   messages are push frames) and RESP2 (where a subscribed connection can do nothing else) alike.
 * - A channel is subscribed once however many streams listen to it (reference counted); it is
 *   unsubscribed when the last of them ends.
 * - A message is delivered only from the connection that currently holds the subscription, so a
 *   move never duplicates messages. Messages published while a subscription is being moved are not
 *   received (pub/sub is at-most-once): every such gap is visible as `Lost` then `Subscribed`
 *   events (`subscriptionEvents`; `Refused` for each resubscription a node turned down), the
 *   `keyslot_pubsub_gaps_total` and `keyslot_pubsub_resubscriptions_total` counters, and
 *   `Effect.logDebug` lines.
 * - A stream never stalls silently: a subscriber connection is health-checked (a `PING` after
 *   each second without traffic, 2 s to answer); a subscription that cannot be re-established
 *   within `resubscribeTimeout` (30 s) fails its streams with the last error (`ConnectionError`,
 *   `ClusterDownError`, ... or `TimeoutError`); an error the server will keep giving (`NOPERM`)
 *   fails them at once.
 *
 * ## Back-pressure
 *
 * Each stream has its own bounded buffer (`bufferSize`, default 10 000 messages) filled by the
 * connection's data handler and drained by the consumer in chunks (at most
 * `min(bufferSize, 1024)` messages each). When it is full, `strategy` decides: `"fail"` (the
 * default) fails the stream with `SubscriptionOverflowError`; `"dropOldest"` discards the oldest
 * buffered message; `"dropNewest"` discards the arriving one. Dropped messages are counted by the
 * `keyslot_pubsub_dropped_total` counter (tags `kind`, `strategy`) and per stream in
 * `subscriptionState`.
 *
 * There is no `"suspend"` strategy (pausing the socket until the consumer catches up): the
 * `Connector`'s transport has no pause, one subscriber connection serves many streams (every
 * classic channel of the client), so one slow consumer would stall all of them, and Redis closes a
 * subscriber whose output buffer passes `client-output-buffer-limit pubsub` (32 MB, or 8 MB for
 * 60 s): suspending would turn a slow consumer into a lost connection and a gap for everyone.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Exit, Fiber, Metric, PubSub as EffectPubSub, Result, Scope, Stream } from "effect"
import type { Context } from "effect"
import type { ReadFrom } from "./ClusterConfig.js"
import * as ClusterError from "./ClusterError.js"
import type { Connector } from "./Connector.js"
import * as Kinds from "./internal/pubsub/subscriber.js"
import { Inbox } from "./internal/pubsub/subscriber.js"
import * as NodeConnection from "./NodeConnection.js"
import type * as Resp from "./Resp.js"
import { NodePicker } from "./Router.js"
import * as Slot from "./Slot.js"
import type { ClusterNode, ClusterTopologyService, Shard, TopologySnapshot } from "./Topology.js"

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * What a subscription listens to: `channel` (SUBSCRIBE), `pattern` (PSUBSCRIBE), `shard` (SSUBSCRIBE).
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "channel" | "pattern" | "shard"

/**
 * A message of a channel or sharded channel.
 *
 * @since 0.1.0
 * @category models
 */
export interface Message {
  readonly channel: string
  readonly message: string
}

/**
 * A message of a channel or sharded channel, as bytes (shared between streams: do not mutate).
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageBytes {
  readonly channel: string
  readonly message: Uint8Array
}

/**
 * A message of a channel matching a pattern.
 *
 * @since 0.1.0
 * @category models
 */
export interface PatternMessage {
  readonly pattern: string
  readonly channel: string
  readonly message: string
}

/**
 * A message of a channel matching a pattern, as bytes (shared between streams: do not mutate).
 *
 * @since 0.1.0
 * @category models
 */
export interface PatternMessageBytes {
  readonly pattern: string
  readonly channel: string
  readonly message: Uint8Array
}

/**
 * The element type of a subscription of kind `K`, as bytes when `B` is `true`.
 *
 * @since 0.1.0
 * @category models
 */
export type MessageOf<K extends Kind, B extends boolean> = K extends "pattern"
  ? (B extends true ? PatternMessageBytes : PatternMessage)
  : (B extends true ? MessageBytes : Message)

/**
 * What a full stream buffer does with a new message: `"fail"` fails the stream with
 * `SubscriptionOverflowError`, `"dropOldest"` discards the oldest buffered message (sliding),
 * `"dropNewest"` discards the new one. (Why there is no `"suspend"`: see the module documentation.)
 *
 * @since 0.1.0
 * @category models
 */
export type OverflowStrategy = "fail" | "dropOldest" | "dropNewest"

/**
 * Options of one subscription stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubscribeOptions {
  /** Messages the stream buffers for its consumer. Default `DEFAULT_BUFFER_SIZE` (10 000). */
  readonly bufferSize?: number | undefined
  /** When the buffer is full. Default `DEFAULT_STRATEGY` (`"fail"`). */
  readonly strategy?: OverflowStrategy | undefined
}

/**
 * The default `bufferSize`: 10 000 messages per stream.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BUFFER_SIZE = 10_000

/**
 * The default `strategy`: fail the stream rather than lose a message without being asked to.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_STRATEGY: OverflowStrategy = "fail"

/**
 * The arguments of the subscribe methods: channels (or patterns), optionally options last.
 *
 * @since 0.1.0
 * @category models
 */
export type NamesAndOptions = ReadonlyArray<string> | readonly [...ReadonlyArray<string>, SubscribeOptions]

/**
 * A subscription described as a value (`subscription`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SubscriptionSpec<K extends Kind, B extends boolean> extends SubscribeOptions {
  readonly kind: K
  /** Channels (`channel`, `shard`) or patterns (`pattern`); at least one. */
  readonly names: ReadonlyArray<string>
  /** Messages as `Uint8Array` instead of UTF-8 strings. */
  readonly bytes?: B | undefined
}

/**
 * The subscription is confirmed by the server on `node`: first (`resubscribed: false`, `gapMillis`
 * since it was asked for) or again after a `Lost` (`resubscribed: true`, `gapMillis` without it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Subscribed {
  readonly _tag: "Subscribed"
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
  /** `host:port`. */
  readonly node: string
  readonly resubscribed: boolean
  readonly gapMillis: number
}

/**
 * The subscription was lost on `node` (`reason`); messages published until the next `Subscribed` are not received.
 *
 * @since 0.1.0
 * @category models
 */
export interface Lost {
  readonly _tag: "Lost"
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
  readonly node: string
  readonly reason: string
}

/**
 * `node` answered the (re)subscription with an error that passes (`MOVED` after a slot move,
 * `TRYAGAIN`, `CLUSTERDOWN`, ...): it is tried again, on the node `MOVED` names when there is one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Refused {
  readonly _tag: "Refused"
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
  readonly node: string
  readonly error: ClusterError.RedisClusterError
}

/**
 * The last stream of these channels ended: they were unsubscribed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unsubscribed {
  readonly _tag: "Unsubscribed"
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
}

/**
 * The streams of these channels failed with `error`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failed {
  readonly _tag: "Failed"
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
  readonly error: ClusterError.RedisClusterError
}

/**
 * What happens to subscriptions, as `subscriptionEvents` streams it.
 *
 * @since 0.1.0
 * @category models
 */
export type SubscriptionEvent = Subscribed | Lost | Refused | Unsubscribed | Failed

/**
 * One subscriber connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionInfo {
  /** `classic` carries every channel and pattern; `shard` the sharded channels of one node. */
  readonly role: "classic" | "shard"
  readonly node: string
  /** Connected and handshaken. */
  readonly ready: boolean
  readonly subscriptions: number
}

/**
 * One server-side subscription.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubscriptionInfo {
  readonly kind: Kind
  readonly name: string
  /** The node holding (or being asked for) it; `undefined` while it waits for one. */
  readonly node: string | undefined
  /** Confirmed by the server: messages flow. */
  readonly confirmed: boolean
  /** Streams listening to it. */
  readonly streams: number
  /** Times it was subscribed again after being lost. */
  readonly resubscriptions: number
}

/**
 * One subscription stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamInfo {
  readonly kind: Kind
  readonly names: ReadonlyArray<string>
  readonly bytes: boolean
  readonly strategy: OverflowStrategy
  readonly bufferSize: number
  /** Messages waiting for the consumer now. */
  readonly buffered: number
  readonly received: number
  readonly dropped: number
}

/**
 * A snapshot of the client's pub/sub machinery.
 *
 * @since 0.1.0
 * @category models
 */
export interface PubSubState {
  readonly connections: ReadonlyArray<ConnectionInfo>
  readonly subscriptions: ReadonlyArray<SubscriptionInfo>
  readonly streams: ReadonlyArray<StreamInfo>
}

type Err = ClusterError.RedisClusterError

/**
 * The pub/sub methods of the `RedisCluster` service.
 *
 * @since 0.1.0
 * @category models
 */
export interface PubSubMethods {
  /** `SUBSCRIBE channel...` for as long as the stream runs; options may come last. */
  readonly subscribe: (...channels: NamesAndOptions) => Stream.Stream<Message, Err>
  /** `PSUBSCRIBE pattern...` for as long as the stream runs; options may come last. */
  readonly psubscribe: (...patterns: NamesAndOptions) => Stream.Stream<PatternMessage, Err>
  /** `SSUBSCRIBE channel...` (on each channel's slot owner) for as long as the stream runs; options may come last. */
  readonly ssubscribe: (...channels: NamesAndOptions) => Stream.Stream<Message, Err>
  /** `subscribe` with messages as bytes. */
  readonly subscribeBytes: (...channels: NamesAndOptions) => Stream.Stream<MessageBytes, Err>
  /** `psubscribe` with messages as bytes. */
  readonly psubscribeBytes: (...patterns: NamesAndOptions) => Stream.Stream<PatternMessageBytes, Err>
  /** `ssubscribe` with messages as bytes. */
  readonly ssubscribeBytes: (...channels: NamesAndOptions) => Stream.Stream<MessageBytes, Err>
  /**
   * Subscribes in the current scope and succeeds once the server confirmed every channel, so a
   * message published afterwards is received. Unsubscribes when the scope closes (the stream then
   * ends). The stream reads one buffer: run it once.
   */
  readonly subscribeScoped: (...channels: NamesAndOptions) => Effect.Effect<Stream.Stream<Message, Err>, Err, Scope.Scope>
  /** `psubscribe`, confirmed before it succeeds (see `subscribeScoped`). */
  readonly psubscribeScoped: (...patterns: NamesAndOptions) => Effect.Effect<Stream.Stream<PatternMessage, Err>, Err, Scope.Scope>
  /** `ssubscribe`, confirmed before it succeeds (see `subscribeScoped`). */
  readonly ssubscribeScoped: (...channels: NamesAndOptions) => Effect.Effect<Stream.Stream<Message, Err>, Err, Scope.Scope>
  /** Any subscription as a value (bytes included), confirmed before it succeeds (see `subscribeScoped`). */
  readonly subscription: <K extends Kind, B extends boolean = false>(
    spec: SubscriptionSpec<K, B>
  ) => Effect.Effect<Stream.Stream<MessageOf<K, B>, Err>, Err, Scope.Scope>
  /** Every subscription, loss and resubscription from the moment the stream starts. */
  readonly subscriptionEvents: Stream.Stream<SubscriptionEvent>
  /** The connections, server-side subscriptions and streams right now. */
  readonly subscriptionState: Effect.Effect<PubSubState>
}

/**
 * The counters pub/sub records (always on: they only move on drops, losses and resubscriptions).
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  dropped: Metric.counter("keyslot_pubsub_dropped_total", {
    description: "Pub/sub messages dropped by a full stream buffer, by kind and strategy",
    incremental: true
  }),
  gaps: Metric.counter("keyslot_pubsub_gaps_total", {
    description: "Subscriptions lost (a gap in the messages begins), by kind",
    incremental: true
  }),
  resubscriptions: Metric.counter("keyslot_pubsub_resubscriptions_total", {
    description: "Subscriptions confirmed again after a loss, by kind",
    incremental: true
  })
}

/**
 * Settings of the machinery. `RedisCluster` passes its connection options and `readFrom` and keeps
 * the defaults of the rest.
 *
 * @since 0.1.0
 * @category models
 */
export interface PubSubOptions {
  /** Options of every subscriber connection (the endpoint excepted; `subscriber` and `onPush` are set here). */
  readonly connection: Omit<NodeConnection.NodeConnectionOptions, "host" | "port">
  readonly readFrom: ReadFrom
  /** Health-check `PING` period on each subscriber connection. Default 1 second. */
  readonly pingInterval?: Duration.Input | undefined
  /** A `PING` unanswered this long closes the connection (and resubscribes elsewhere). Default 2 seconds. */
  readonly pingTimeout?: Duration.Input | undefined
  /** A subscription not re-established within this fails its streams. Default 30 seconds. */
  readonly resubscribeTimeout?: Duration.Input | undefined
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

const millis = (d: Duration.Input | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(d))

const EMPTY = new Uint8Array(0)

const asText = (v: Resp.RespValue | undefined): string => {
  if (typeof v === "string") return v
  if (v instanceof Uint8Array) {
    const n = v.length
    if (n <= 16) {
      // Short ASCII: a JS loop beats the native call.
      let out = ""
      for (let i = 0; i < n; i++) {
        const c = v[i]!
        if (c >= 128) return utf8(v)
        out += String.fromCharCode(c)
      }
      return out
    }
    return utf8(v)
  }
  return v === undefined || v === null ? "" : String(v)
}

const utf8 = (v: Uint8Array): string =>
  Buffer.isBuffer(v) ? v.toString() : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8")

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  const n = a.length
  if (n !== b.length) return false
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

const asBytes = (v: Resp.RespValue | undefined): Uint8Array => {
  if (v instanceof Uint8Array) return v
  if (typeof v === "string") return Buffer.from(v, "utf8")
  return EMPTY
}

const SUBSCRIBE: Record<Kind, string> = { channel: "SUBSCRIBE", pattern: "PSUBSCRIBE", shard: "SSUBSCRIBE" }
const UNSUBSCRIBE: Record<Kind, string> = { channel: "UNSUBSCRIBE", pattern: "PUNSUBSCRIBE", shard: "SUNSUBSCRIBE" }
const PREFIX: Record<Kind, string> = { channel: "c:", pattern: "p:", shard: "s:" }

/** Names per command, so no command grows past a sane size. */
const BATCH = 500

const STRATEGIES: ReadonlyArray<OverflowStrategy> = ["fail", "dropOldest", "dropNewest"]

type AnyMessage = Message | MessageBytes | PatternMessage | PatternMessageBytes

/** One stream. */
class Listener {
  readonly confirmedEntries = new Set<Entry>()
  entries: ReadonlyArray<Entry> = []
  ready = false
  closed = false
  failure: Err | undefined = undefined
  waiter: ((effect: Effect.Effect<void, Err>) => void) | undefined = undefined

  constructor(
    readonly kind: Kind,
    readonly names: ReadonlyArray<string>,
    readonly bytes: boolean,
    readonly inbox: Inbox<AnyMessage, Err>
  ) {}

  entryConfirmed(entry: Entry): void {
    if (this.ready) return
    this.confirmedEntries.add(entry)
    if (this.confirmedEntries.size < this.entries.length) return
    this.ready = true
    const waiter = this.waiter
    this.waiter = undefined
    // Effect 4 resumes a fiber synchronously: the subscriber's code must not run inside the
    // socket's data handler that confirmed the subscription.
    if (waiter !== undefined) queueMicrotask(() => waiter(Effect.void))
  }

  /** Resolves once every channel was confirmed; fails with the stream's failure. */
  readonly awaitReady: Effect.Effect<void, Err> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ready) return Effect.void
    return Effect.callback<void, Err>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  })
}

/** One server-side subscription (a channel, pattern or sharded channel), shared by its streams. */
class Entry {
  readonly listeners = new Set<Listener>()
  session: Session | undefined = undefined
  confirmed = false
  everConfirmed = false
  /** When it lost (or asked for) its subscription; `undefined` while confirmed. */
  lostAt: number | undefined
  lastError: Err | undefined = undefined
  resubscriptions = 0
  /** Not placed again before this time (after an error reply). */
  retryAt = 0
  attempts = 0
  readonly slot: number
  /** The name as the server sends it back (UTF-8), to recognize it without decoding. */
  readonly nameBytes: Uint8Array

  constructor(readonly kind: Kind, readonly name: string, now: number) {
    this.lostAt = now
    this.slot = kind === "shard" ? Slot.slot(name) : -1
    this.nameBytes = Buffer.from(name, "utf8")
  }

  deliver(payload: Resp.RespValue | undefined): void {
    let text: string | undefined
    let bytes: Uint8Array | undefined
    for (const l of this.listeners) {
      if (l.bytes) l.inbox.push({ channel: this.name, message: bytes ??= asBytes(payload) })
      else l.inbox.push({ channel: this.name, message: text ??= asText(payload) })
    }
  }

  deliverPattern(channel: string, payload: Resp.RespValue | undefined): void {
    let text: string | undefined
    let bytes: Uint8Array | undefined
    for (const l of this.listeners) {
      if (l.bytes) l.inbox.push({ pattern: this.name, channel, message: bytes ??= asBytes(payload) })
      else l.inbox.push({ pattern: this.name, channel, message: text ??= asText(payload) })
    }
  }
}

/** A note for the coordinator to publish as an event and a debug log. */
interface Note {
  readonly tag: SubscriptionEvent["_tag"]
  readonly kind: Kind
  readonly name: string
  readonly node: string
  readonly reason?: string | undefined
  readonly resubscribed?: boolean | undefined
  readonly gapMillis?: number | undefined
  readonly error?: Err | undefined
}

interface Bad {
  failures: number
  until: number
}

/** One subscriber connection and the subscriptions it holds. */
class Session {
  /** Channels (classic) or sharded channels (shard) assigned here, by name. */
  readonly channels = new Map<string, Entry>()
  /** Patterns assigned here (classic only). */
  readonly patterns = new Map<string, Entry>()
  /** (Un)subscribe commands sent and not yet confirmed, by kind prefix + name. */
  readonly ops = new Map<string, number>()
  connection: NodeConnection.NodeConnection | undefined = undefined
  dead = false
  /** Pushes received so far (the health check skips its PING while they flow). */
  seen = 0
  fiber: Fiber.Fiber<void> | undefined = undefined
  toSubscribe: Array<Entry> = []
  toUnsubscribe: Array<{ readonly kind: Kind; readonly name: string }> = []
  /** The entries the last messages named: a burst on one channel skips the map lookup. */
  private lastChannel: Entry | undefined = undefined
  private lastPattern: Entry | undefined = undefined

  constructor(readonly hub: Hub, readonly role: "classic" | "shard", readonly node: ClusterNode) {}

  get address(): string {
    return this.node.address
  }

  get size(): number {
    return this.channels.size + this.patterns.size
  }

  mapOf(kind: Kind): Map<string, Entry> {
    return kind === "pattern" ? this.patterns : this.channels
  }

  add(entry: Entry): void {
    this.mapOf(entry.kind).set(entry.name, entry)
    entry.session = this
    entry.confirmed = false
    if (this.connection !== undefined) this.toSubscribe.push(entry)
  }

  /** Takes the entry off this connection, unsubscribing it on the server. */
  remove(entry: Entry): void {
    const map = this.mapOf(entry.kind)
    if (map.get(entry.name) === entry) map.delete(entry.name)
    if (entry.session === this) entry.session = undefined
    entry.confirmed = false
    if (this.connection !== undefined && !this.dead) this.toUnsubscribe.push({ kind: entry.kind, name: entry.name })
  }

  /** Every entry of the session, e.g. once the connection is ready. */
  all(): Array<Entry> {
    return [...this.channels.values(), ...this.patterns.values()]
  }

  private bump(key: string): void {
    this.ops.set(key, (this.ops.get(key) ?? 0) + 1)
  }

  private drop(key: string): number {
    const n = this.ops.get(key) ?? 0
    if (n <= 1) this.ops.delete(key)
    else this.ops.set(key, n - 1)
    return n
  }

  /** Writes the queued (un)subscribe commands. */
  flush(): Effect.Effect<void> {
    const connection = this.connection
    if (connection === undefined || this.dead) return Effect.void
    const subs = this.toSubscribe.filter((e) => e.session === this && !e.confirmed)
    const unsubs = this.toUnsubscribe
    this.toSubscribe = []
    this.toUnsubscribe = []
    const commands: Array<{ readonly kind: Kind; readonly subscribe: boolean; readonly names: ReadonlyArray<string> }> = []
    const group = (items: ReadonlyArray<{ readonly kind: Kind; readonly name: string }>, subscribe: boolean) => {
      // Sharded commands must stay in one slot; the others are batched.
      const groups = new Map<string, Set<string>>()
      for (const item of items) {
        const key = item.kind === "shard" ? `s${Slot.slot(item.name)}` : item.kind
        let names = groups.get(key)
        if (names === undefined) groups.set(key, names = new Set())
        names.add(item.name)
      }
      for (const [key, set] of groups) {
        const names = Array.from(set)
        const kind: Kind = key === "channel" ? "channel" : key === "pattern" ? "pattern" : "shard"
        for (let i = 0; i < names.length; i += BATCH) commands.push({ kind, subscribe, names: names.slice(i, i + BATCH) })
      }
    }
    group(unsubs, false)
    group(subs, true)
    return Effect.forEach(commands, (c) => {
      for (const name of c.names) this.bump(PREFIX[c.kind] + name)
      return connection.sendNoReply(
        [c.subscribe ? SUBSCRIBE[c.kind] : UNSUBSCRIBE[c.kind], ...c.names],
        (error) => this.commandFailed(c.kind, c.subscribe, c.names, error)
      )
    }, { discard: true })
  }

  /** The entry a message names, if it is held here; the last one found is checked first. */
  private lookup(map: Map<string, Entry>, value: Resp.RespValue | undefined, pattern: boolean): Entry | undefined {
    const last = pattern ? this.lastPattern : this.lastChannel
    if (last !== undefined && last.session === this && value instanceof Uint8Array && sameBytes(value, last.nameBytes)) return last
    const entry = map.get(asText(value))
    if (entry !== undefined) {
      if (pattern) this.lastPattern = entry
      else this.lastChannel = entry
    }
    return entry
  }

  /** A push from this connection (synchronously from its data handler). */
  onPush(push: Resp.Push): void {
    if (this.dead) return
    this.seen++
    const v = push.values
    switch (Kinds.kindOf(v[0])) {
      case Kinds.MESSAGE:
      case Kinds.SMESSAGE: {
        const entry = this.lookup(this.channels, v[1], false)
        if (entry !== undefined) entry.deliver(v[2])
        return
      }
      case Kinds.PMESSAGE: {
        const entry = this.lookup(this.patterns, v[1], true)
        if (entry !== undefined) entry.deliverPattern(asText(v[2]), v[3])
        return
      }
      case Kinds.SUBSCRIBE:
        return this.onConfirm("channel", asText(v[1]))
      case Kinds.PSUBSCRIBE:
        return this.onConfirm("pattern", asText(v[1]))
      case Kinds.SSUBSCRIBE:
        return this.onConfirm("shard", asText(v[1]))
      case Kinds.UNSUBSCRIBE:
        return this.onUnsubscribed("channel", asText(v[1]))
      case Kinds.PUNSUBSCRIBE:
        return this.onUnsubscribed("pattern", asText(v[1]))
      case Kinds.SUNSUBSCRIBE:
        return this.onUnsubscribed("shard", asText(v[1]))
    }
  }

  private onConfirm(kind: Kind, name: string): void {
    // Confirmed only once the last command sent for this name is answered.
    if (this.drop(PREFIX[kind] + name) > 1) return
    const entry = this.mapOf(kind).get(name)
    if (entry !== undefined && entry.kind === kind && !entry.confirmed) this.hub.confirmed(entry, this)
  }

  private onUnsubscribed(kind: Kind, name: string): void {
    if (this.drop(PREFIX[kind] + name) > 0) return
    // Not ours: the server dropped the subscription by itself (its slot moved away).
    const map = this.mapOf(kind)
    const entry = map.get(name)
    if (entry === undefined || entry.kind !== kind) return
    map.delete(name)
    this.hub.lost(entry, this, `${this.address} unsubscribed it (its slot moved)`, undefined, true)
  }

  private commandFailed(kind: Kind, subscribe: boolean, names: ReadonlyArray<string>, error: NodeConnection.CommandError): void {
    // A lost connection is handled once, for everything, when the session dies.
    if (this.dead || error._tag === "ConnectionError" || error._tag === "ProtocolError") return
    for (const name of names) this.drop(PREFIX[kind] + name)
    if (!subscribe) return
    const map = this.mapOf(kind)
    for (const name of names) {
      const entry = map.get(name)
      if (entry === undefined || entry.kind !== kind) continue
      map.delete(name)
      this.hub.subscribeFailed(entry, this, error)
    }
  }
}

/** The machinery: entries, sessions, and the coordinator that places entries on sessions. */
class Hub {
  readonly entries = new Map<string, Entry>()
  readonly listeners = new Set<Listener>()
  readonly shardSessions = new Map<string, Session>()
  readonly bad = new Map<string, Bad>()
  classic: Session | undefined = undefined
  notes: Array<Note> = []
  dirty = true
  refreshWanted = false
  lastRefreshRequest = 0
  closed = false
  private signal: (() => void) | undefined = undefined
  readonly picker: NodePicker
  readonly droppedMetrics = new Map<string, Metric.Counter<number>>()
  readonly gapMetrics: Record<Kind, Metric.Counter<number>>
  readonly resubscribeMetrics: Record<Kind, Metric.Counter<number>>

  constructor(
    readonly topology: ClusterTopologyService,
    readonly options: PubSubOptions,
    readonly events: EffectPubSub.PubSub<SubscriptionEvent>,
    readonly resubscribeTimeout: number,
    /** Where the pub/sub metrics are recorded (the client's metric registry). */
    readonly context: Context.Context<never>
  ) {
    this.picker = new NodePicker(options.readFrom)
    const byKind = (m: Metric.Counter<number>): Record<Kind, Metric.Counter<number>> => ({
      channel: Metric.withAttributes(m, { kind: "channel" }),
      pattern: Metric.withAttributes(m, { kind: "pattern" }),
      shard: Metric.withAttributes(m, { kind: "shard" })
    })
    this.gapMetrics = byKind(metrics.gaps)
    this.resubscribeMetrics = byKind(metrics.resubscriptions)
  }

  droppedMetric(kind: Kind, strategy: OverflowStrategy): Metric.Counter<number> {
    const key = `${kind}/${strategy}`
    let m = this.droppedMetrics.get(key)
    if (m === undefined) {
      m = Metric.withAttributes(metrics.dropped, { kind, strategy })
      this.droppedMetrics.set(key, m)
    }
    return m
  }

  /** Asks the coordinator for a pass. */
  wake(): void {
    this.dirty = true
    this.poke()
  }

  /** Lets the coordinator publish notes. */
  poke(): void {
    const signal = this.signal
    if (signal !== undefined) {
      this.signal = undefined
      signal()
    }
  }

  /** Waits for `wake`/`poke` or until `deadline` (epoch millis; 0 = none). */
  waitSignal(deadline: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.dirty || this.notes.length > 0) return resume(Effect.void)
      let timer: ReturnType<typeof setTimeout> | undefined
      if (deadline > 0) {
        timer = setTimeout(() => {
          this.signal = undefined
          this.dirty = true
          resume(Effect.void)
        }, Math.max(0, deadline - Date.now()))
      }
      this.signal = () => {
        if (timer !== undefined) clearTimeout(timer)
        // Resuming runs the coordinator at once (Effect 4); `wake` is called from data handlers
        // and from the middle of the hub's own bookkeeping, so the pass starts on a microtask.
        queueMicrotask(() => resume(Effect.void))
      }
      return Effect.sync(() => {
        if (timer !== undefined) clearTimeout(timer)
        this.signal = undefined
      })
    })
  }

  note(note: Note): void {
    this.notes.push(note)
    this.poke()
  }

  // -- listeners ------------------------------------------------------------------------------

  addListener(listener: Listener): void {
    const now = Date.now()
    const entries: Array<Entry> = []
    for (const name of listener.names) {
      const key = PREFIX[listener.kind] + name
      let entry = this.entries.get(key)
      if (entry === undefined) {
        entry = new Entry(listener.kind, name, now)
        this.entries.set(key, entry)
      }
      entry.listeners.add(listener)
      entries.push(entry)
    }
    listener.entries = entries
    this.listeners.add(listener)
    for (const entry of entries) if (entry.confirmed) listener.entryConfirmed(entry)
    this.wake()
  }

  removeListener(listener: Listener): void {
    if (!this.listeners.delete(listener)) return
    listener.closed = true
    for (const entry of listener.entries) entry.listeners.delete(listener)
    listener.inbox.end()
    this.wake()
  }

  failListener(listener: Listener, error: Err): void {
    if (listener.closed) return
    listener.failure = error
    listener.inbox.fail(error)
    const waiter = listener.waiter
    listener.waiter = undefined
    if (waiter !== undefined) queueMicrotask(() => waiter(Effect.fail(error)))
    this.removeListener(listener)
  }

  failEntry(entry: Entry, error: Err): void {
    this.note({ tag: "Failed", kind: entry.kind, name: entry.name, node: entry.session?.address ?? "", error })
    for (const l of Array.from(entry.listeners)) this.failListener(l, error)
  }

  // -- what sessions report (synchronously) --------------------------------------------------

  confirmed(entry: Entry, session: Session): void {
    const now = Date.now()
    entry.confirmed = true
    entry.attempts = 0
    entry.lastError = undefined
    this.bad.delete(session.address)
    const gap = entry.lostAt === undefined ? 0 : now - entry.lostAt
    const resubscribed = entry.everConfirmed
    if (resubscribed) {
      entry.resubscriptions++
      this.resubscribeMetrics[entry.kind].updateUnsafe(1, this.context)
    }
    entry.everConfirmed = true
    entry.lostAt = undefined
    this.note({ tag: "Subscribed", kind: entry.kind, name: entry.name, node: session.address, resubscribed, gapMillis: gap })
    for (const l of entry.listeners) l.entryConfirmed(entry)
  }

  /** The entry no longer has a subscription on `session` (already taken off its map). */
  lost(entry: Entry, session: Session, reason: string, error: Err | undefined, refresh: boolean): void {
    if (entry.session === session) entry.session = undefined
    if (error !== undefined) entry.lastError = error
    if (entry.confirmed) {
      entry.confirmed = false
      entry.lostAt = Date.now()
      this.gapMetrics[entry.kind].updateUnsafe(1, this.context)
      this.note({ tag: "Lost", kind: entry.kind, name: entry.name, node: session.address, reason })
    } else if (entry.lostAt === undefined) {
      entry.lostAt = Date.now()
    }
    if (refresh) this.refreshWanted = true
    this.wake()
  }

  subscribeFailed(entry: Entry, session: Session, error: ClusterError.ReplyFailure | ClusterError.TimeoutError): void {
    const now = Date.now()
    entry.attempts++
    switch (error._tag) {
      case "MovedError": {
        this.topology.applyMoved(error.slot, this.topology.remap({ host: error.host, port: error.port }))
        this.topology.requestRefresh("moved")
        entry.retryAt = entry.attempts <= 2 ? 0 : now + Math.min(1000, 25 * 2 ** (entry.attempts - 3))
        break
      }
      case "AskError":
      case "TryAgainError":
      case "ClusterDownError":
      case "MasterDownError":
      case "LoadingError":
      case "ReadOnlyError":
      case "TimeoutError": {
        this.topology.requestRefresh("cluster-down")
        entry.retryAt = now + Math.min(1000, 50 * 2 ** Math.min(5, entry.attempts - 1))
        break
      }
      default: {
        // NOPERM, a wrong argument: asking again gives the same answer.
        this.lost(entry, session, error.message, error, false)
        this.failEntry(entry, error)
        return
      }
    }
    this.note({ tag: "Refused", kind: entry.kind, name: entry.name, node: session.address, error })
    this.lost(entry, session, `${SUBSCRIBE[entry.kind]} answered ${error._tag}`, error, false)
  }

  markBad(address: string): void {
    const bad = this.bad.get(address)
    const failures = (bad?.failures ?? 0) + 1
    this.bad.set(address, { failures, until: Date.now() + Math.min(2000, 50 * 2 ** (failures - 1)) })
  }

  isBad(address: string, now: number): boolean {
    const bad = this.bad.get(address)
    return bad !== undefined && bad.until > now
  }

  /** The session's connection failed or was lost. */
  sessionDied(session: Session, error: Err): void {
    if (session.dead) return
    session.dead = true
    const reason = `connection lost: ${error.message}`
    for (const entry of session.all()) this.lost(entry, session, reason, error, false)
    session.channels.clear()
    session.patterns.clear()
    session.ops.clear()
    if (this.classic === session) this.classic = undefined
    if (this.shardSessions.get(session.address) === session) this.shardSessions.delete(session.address)
    if (!this.closed) {
      this.markBad(session.address)
      this.topology.requestRefresh("connection-lost")
    }
    this.wake()
  }
}

// ---------------------------------------------------------------------------------------------
// The coordinator
// ---------------------------------------------------------------------------------------------

const REFRESH_EVERY = 300

const isValidFor = (address: string, shard: Shard, readFrom: ReadFrom): boolean =>
  shard.master.address === address || (readFrom !== "master" && shard.readReplicas.some((r) => r.address === address))

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

const makeCoordinator = (
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
    const candidates = hub.options.readFrom === "master" ? [shard.master] : [...shard.readReplicas, shard.master]
    return candidates.find((n) => !hub.isBad(n.address, now))
  }

  const reconcile = Effect.gen(function*() {
    hub.dirty = false
    if (hub.closed) return 0
    const now = Date.now()
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
      hub.lastRefreshRequest = Date.now()
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
      if (current !== undefined && !current.dead && isValidFor(current.address, shard, hub.options.readFrom)) continue
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
        Effect.as(Effect.logError("pub/sub coordinator pass failed; retrying", cause), Date.now() + 100)
      )
    )
  return Effect.gen(function*() {
    let deadline = 0
    while (true) deadline = yield* pass(deadline)
  })
}

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

const splitArgs = (args: NamesAndOptions): { readonly names: ReadonlyArray<string>; readonly options: SubscribeOptions } => {
  const last = args[args.length - 1]
  if (last !== undefined && typeof last === "object") {
    return { names: args.slice(0, -1) as ReadonlyArray<string>, options: last }
  }
  return { names: args as ReadonlyArray<string>, options: {} }
}

const validate = (
  kind: Kind,
  names: ReadonlyArray<string>,
  options: SubscribeOptions
): Effect.Effect<{ readonly names: ReadonlyArray<string>; readonly bufferSize: number; readonly strategy: OverflowStrategy }, ClusterError.ConfigError> => {
  const field = kind === "pattern" ? "patterns" : "channels"
  if (names.length === 0) return Effect.fail(new ClusterError.ConfigError({ field, reason: "at least one is needed" }))
  for (const name of names) {
    if (typeof name !== "string") {
      return Effect.fail(new ClusterError.ConfigError({ field, reason: `expected strings, got ${typeof name}` }))
    }
  }
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    return Effect.fail(new ClusterError.ConfigError({ field: "bufferSize", reason: `must be an integer >= 1, got ${String(bufferSize)}` }))
  }
  const strategy = options.strategy ?? DEFAULT_STRATEGY
  if (!STRATEGIES.includes(strategy)) {
    return Effect.fail(new ClusterError.ConfigError({ field: "strategy", reason: `must be one of ${STRATEGIES.join(", ")}, got ${String(strategy)}` }))
  }
  return Effect.succeed({ names: Array.from(new Set(names)), bufferSize, strategy })
}

/**
 * Builds the pub/sub machinery of a client over its topology, living in the current scope: every
 * subscriber connection closes and every stream ends when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  topology: ClusterTopologyService,
  options: PubSubOptions
): Effect.Effect<PubSubMethods, never, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const context = yield* Effect.context<Connector>()
    const events = yield* EffectPubSub.sliding<SubscriptionEvent>(4096)
    // `subscriptionEvents` streams end with the client.
    yield* Effect.addFinalizer(() => EffectPubSub.shutdown(events))
    const hub = new Hub(topology, options, events, millis(options.resubscribeTimeout, 30_000), context)
    const closedError = () => new ClusterError.ConnectionError({ host: "", port: 0, reason: "the client was closed" })
    // Streams end with the client; a subscription still waiting for its confirmation fails.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        hub.closed = true
        for (const l of Array.from(hub.listeners)) {
          const waiter = l.waiter
          l.waiter = undefined
          if (waiter !== undefined) waiter(Effect.fail(closedError()))
          hub.removeListener(l)
        }
      })
    )
    yield* Effect.forkIn(makeCoordinator(hub, scope, context), scope)
    // Every new slot map may move sharded channels or retire the classic node.
    yield* topology.changes.pipe(Stream.runForEach(() => Effect.sync(() => hub.wake())), Effect.forkIn(scope))

    const listen = (kind: Kind, bytes: boolean, names: ReadonlyArray<string>, options: SubscribeOptions) =>
      Effect.gen(function*() {
        const valid = yield* validate(kind, names, options)
        const listener = yield* Effect.acquireRelease(
          Effect.sync(() => {
            let listener: Listener
            const onOverflow = () =>
              hub.failListener(listener, new ClusterError.SubscriptionOverflowError({ kind, names: valid.names, bufferSize: valid.bufferSize }))
            const dropped = hub.droppedMetric(kind, valid.strategy)
            const inbox = new Inbox<AnyMessage, Err>(
              valid.bufferSize,
              valid.strategy,
              Math.min(valid.bufferSize, 1024),
              () => dropped.updateUnsafe(1, hub.context),
              onOverflow
            )
            listener = new Listener(kind, valid.names, bytes, inbox)
            if (hub.closed) {
              listener.failure = closedError()
              inbox.end()
            } else {
              hub.addListener(listener)
            }
            return listener
          }),
          (listener) => Effect.sync(() => hub.removeListener(listener))
        )
        yield* listener.awaitReady
        return Stream.fromPull(Effect.succeed(listener.inbox.pull))
      })

    const scoped = <A extends AnyMessage>(kind: Kind, bytes: boolean) => (...args: NamesAndOptions) => {
      const { names, options } = splitArgs(args)
      return listen(kind, bytes, names, options) as Effect.Effect<Stream.Stream<A, Err>, Err, Scope.Scope>
    }
    const streamed = <A extends AnyMessage>(kind: Kind, bytes: boolean) => (...args: NamesAndOptions) =>
      Stream.unwrap(scoped<A>(kind, bytes)(...args))

    const state = Effect.sync((): PubSubState => {
      const sessions = [...(hub.classic === undefined ? [] : [hub.classic]), ...hub.shardSessions.values()]
      return {
        connections: sessions.map((s) => ({ role: s.role, node: s.address, ready: s.connection !== undefined && !s.dead, subscriptions: s.size })),
        subscriptions: Array.from(hub.entries.values(), (e) => ({
          kind: e.kind,
          name: e.name,
          node: e.session?.address,
          confirmed: e.confirmed,
          streams: e.listeners.size,
          resubscriptions: e.resubscriptions
        })),
        streams: Array.from(hub.listeners, (l) => ({
          kind: l.kind,
          names: l.names,
          bytes: l.bytes,
          strategy: l.inbox.strategy,
          bufferSize: l.inbox.capacity,
          buffered: l.inbox.size,
          received: l.inbox.received,
          dropped: l.inbox.dropped
        }))
      }
    })

    const methods: PubSubMethods = {
      subscribe: streamed<Message>("channel", false),
      psubscribe: streamed<PatternMessage>("pattern", false),
      ssubscribe: streamed<Message>("shard", false),
      subscribeBytes: streamed<MessageBytes>("channel", true),
      psubscribeBytes: streamed<PatternMessageBytes>("pattern", true),
      ssubscribeBytes: streamed<MessageBytes>("shard", true),
      subscribeScoped: scoped<Message>("channel", false),
      psubscribeScoped: scoped<PatternMessage>("pattern", false),
      ssubscribeScoped: scoped<Message>("shard", false),
      subscription: <K extends Kind, B extends boolean = false>(spec: SubscriptionSpec<K, B>) =>
        listen(spec.kind, spec.bytes === true, spec.names, spec) as Effect.Effect<Stream.Stream<MessageOf<K, B>, Err>, Err, Scope.Scope>,
      subscriptionEvents: Stream.fromPubSub(events),
      subscriptionState: state
    }
    return methods
  })
