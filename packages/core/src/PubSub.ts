/**
 * Pub/sub as Streams: classic channels (`SUBSCRIBE`), patterns (`PSUBSCRIBE`) and sharded channels
 * (`SSUBSCRIBE`), re-established across reconnects, failovers and slot moves. How it runs on a
 * cluster, what a move costs and how back-pressure works: `docs/pubsub.md`. The engine is in
 * `internal/pubsub/`.
 *
 * @since 0.1.0
 */
import { Effect, Metric, PubSub as EffectPubSub, Stream } from "effect"
import type { Duration, Scope } from "effect"
import type { NodePicker } from "./Router.js"
import * as ClusterError from "./ClusterError.js"
import type { Connector } from "./Connector.js"
import { makeCoordinator } from "./internal/pubsub/coordinator.js"
import { Hub, millis } from "./internal/pubsub/hub.js"
import { Inbox } from "./internal/pubsub/inbox.js"
import { Listener } from "./internal/pubsub/listener.js"
import type { AnyMessage } from "./internal/pubsub/listener.js"
import type * as NodeConnection from "./NodeConnection.js"
import type { TopologyEngine } from "./internal/engine/topology.js"

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
 * `"dropNewest"` discards the new one. (Why there is no `"suspend"`: see `docs/pubsub.md`.)
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
 * Settings of the machinery. `RedisCluster` passes its connection options and node picker and keeps
 * the defaults of the rest.
 *
 * @since 0.1.0
 * @category models
 */
export interface PubSubOptions {
  /** Options of every subscriber connection (the endpoint excepted; `subscriber` and `onPush` are set here). */
  readonly connection: Omit<NodeConnection.NodeConnectionOptions, "host" | "port">
  /** The client's node picker (and its `readFrom`): subscriber connections take turns with commands. */
  readonly picker: NodePicker
  /** Health-check `PING` period on each subscriber connection. Default 1 second. */
  readonly pingInterval?: Duration.Input | undefined
  /** A `PING` unanswered this long closes the connection (and resubscribes elsewhere). Default 2 seconds. */
  readonly pingTimeout?: Duration.Input | undefined
  /** A subscription not re-established within this fails its streams. Default 30 seconds. */
  readonly resubscribeTimeout?: Duration.Input | undefined
}

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

const STRATEGIES: ReadonlyArray<OverflowStrategy> = ["fail", "dropOldest", "dropNewest"]

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
  topology: TopologyEngine,
  options: PubSubOptions
): Effect.Effect<PubSubMethods, never, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const context = yield* Effect.context<Connector>()
    const events = yield* EffectPubSub.sliding<SubscriptionEvent>(4096)
    // `subscriptionEvents` streams end with the client.
    yield* Effect.addFinalizer(() => EffectPubSub.shutdown(events))
    const hub = new Hub(topology, options, events, millis(options.resubscribeTimeout, 30_000), metrics, context)
    const closedError = () => new ClusterError.ClientClosedError({ command: "SUBSCRIBE" })
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
