/**
 * One subscriber connection and the subscriptions it holds. It runs inside the socket's data
 * handler: messages go straight to the entries' inboxes, and confirmations, losses and refusals are
 * reported to the hub synchronously, which leaves the decisions (where to resubscribe, when to give
 * up) to the coordinator.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Fiber } from "effect"
import type * as NodeConnection from "../../NodeConnection.js"
import type { Kind } from "../../PubSub.js"
import type * as Resp from "../../Resp.js"
import * as Slot from "../../Slot.js"
import type { ClusterNode } from "../../Topology.js"
import * as Kinds from "../wire/pubsubFrames.js"
import { BATCH, PREFIX, SUBSCRIBE, UNSUBSCRIBE } from "./commands.js"
import type { Hub } from "./hub.js"
import type { Entry } from "./listener.js"
import { asText, sameBytes } from "./text.js"

/**
 * One subscriber connection: the classic one (every channel and pattern) or the one of a node's
 * sharded channels.
 *
 * @since 0.1.0
 * @category models
 */
export class Session {
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

  private commandFailed(kind: Kind, subscribe: boolean, names: ReadonlyArray<string>, error: NodeConnection.NoReplyError): void {
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
