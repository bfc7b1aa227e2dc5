/**
 * The scripted cluster as a whole: its members, the slot map and migrations, membership changes
 * (add, remove, failover), the connector, and the test-facing readers (owner of a slot, keys, log).
 * Per-node state and rules are in `node.ts`, serving a command in `serve.ts`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Api from "../../ScriptedCluster.js"
import { keyOf } from "./commands.js"
import { ServerConnection } from "./connection.js"
import { entryMatches, NodeState } from "./node.js"
import { execute as serve } from "./serve.js"
import { SLOTS, slotOf } from "./slot.js"
import type { Reply } from "./wire.js"

const hexId = (n: number): string => n.toString(16).padStart(40, "0")

interface MigrationState {
  readonly slot: number
  readonly from: NodeState
  readonly to: NodeState
}

/**
 * The whole cluster.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class ClusterState<E> implements Api.ScriptedCluster<E> {
  members: Array<NodeState> = []
  readonly owner: Array<NodeState | undefined> = new Array<NodeState | undefined>(SLOTS).fill(undefined)
  readonly migrations = new Map<number, MigrationState>()
  epochValue = 1
  entries: Array<Api.LoggedCommand> = []
  nextConnection = 1
  nextId = 1
  readonly startupNodes: ReadonlyArray<Api.Endpoint>
  readonly host: string

  constructor(readonly options: Api.Options, readonly refuse: (endpoint: Api.Endpoint, reason: string) => E) {
    this.host = options.host ?? "127.0.0.1"
    const masters = options.masters ?? 3
    const perMaster = options.replicasPerMaster ?? 0
    if (!Number.isInteger(masters) || masters < 1 || !Number.isInteger(perMaster) || perMaster < 0) {
      throw new Error("ScriptedCluster.make: masters must be an integer >= 1 and replicasPerMaster >= 0")
    }
    let port = options.basePort ?? 30001
    const ms: Array<NodeState> = []
    for (let i = 0; i < masters; i++) ms.push(this.create(port++, undefined))
    for (const m of ms) for (let r = 0; r < perMaster; r++) this.create(port++, m)
    for (let i = 0; i < masters; i++) {
      const start = Math.floor((i * SLOTS) / masters)
      const end = Math.floor(((i + 1) * SLOTS) / masters)
      for (let s = start; s < end; s++) this.owner[s] = ms[i]
    }
    this.startupNodes = this.members.map((n) => ({ host: n.host, port: n.port }))
  }

  private create(port: number, master: NodeState | undefined): NodeState {
    const node = new NodeState(this as ClusterState<unknown>, hexId(this.nextId++), this.host, port, master)
    this.members.push(node)
    return node
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  get nodes(): ReadonlyArray<NodeState> {
    return this.members.slice()
  }
  get masters(): ReadonlyArray<NodeState> {
    return this.members.filter((n) => n.role === "master")
  }
  get replicas(): ReadonlyArray<NodeState> {
    return this.members.filter((n) => n.role === "replica")
  }
  get epoch(): number {
    return this.epochValue
  }
  get log(): ReadonlyArray<Api.LoggedCommand> {
    return this.entries.slice()
  }

  lookup(endpoint: Api.Endpoint): NodeState | undefined {
    return this.members.find((n) => n.port === endpoint.port && n.host === endpoint.host)
  }

  readonly node = (address: string | number | Api.Endpoint): NodeState => {
    const found = typeof address === "number"
      ? this.members.find((n) => n.port === address)
      : typeof address === "string"
      ? this.members.find((n) => n.address === address)
      : this.lookup(address)
    if (found === undefined) throw new Error(`ScriptedCluster: no node ${typeof address === "object" ? `${address.host}:${address.port}` : address}`)
    return found
  }

  private own(node: Api.ScriptedNode): NodeState {
    const n = this.members.find((m) => m === node)
    if (n === undefined) throw new Error(`ScriptedCluster: ${node.address} is not a member of this cluster`)
    return n
  }

  readonly slotOf = (key: string | Uint8Array): number => slotOf(key)

  readonly ownerOf = (slotOrKey: number | string): NodeState | undefined =>
    this.owner[typeof slotOrKey === "number" ? slotOrKey : slotOf(slotOrKey)]

  readonly keyFor = (master: Api.ScriptedNode, prefix = "key"): string => {
    const node = this.own(master)
    for (let i = 0; i < 1_000_000; i++) {
      const key = `${prefix}:${i}`
      const slot = slotOf(key)
      if (this.owner[slot] === node && !this.migrations.has(slot)) return key
    }
    throw new Error(`ScriptedCluster: ${node.address} serves no slot`)
  }

  readonly keyInSlot = (slot: number, prefix = "key"): string => {
    for (let i = 0; i < 10_000_000; i++) {
      const key = `${prefix}:${i}`
      if (slotOf(key) === slot) return key
    }
    throw new Error(`ScriptedCluster: no key found for slot ${slot}`)
  }

  rangesOf(node: NodeState): ReadonlyArray<readonly [number, number]> {
    const out: Array<readonly [number, number]> = []
    let start = -1
    for (let s = 0; s <= SLOTS; s++) {
      const mine = s < SLOTS && this.owner[s] === node
      if (mine && start === -1) start = s
      else if (!mine && start !== -1) {
        out.push([start, s - 1])
        start = -1
      }
    }
    return out
  }

  readonly set = (key: string, value: string): void => {
    const slot = slotOf(key)
    const owner = this.owner[slot]
    if (owner === undefined) throw new Error(`ScriptedCluster: slot ${slot} is not served`)
    const k = keyOf(key)
    const migration = this.migrations.get(slot)
    const store = migration !== undefined && migration.to.store.has(k) ? migration.to.store : owner.store
    store.set(k, Buffer.from(value, "utf8"))
  }

  readonly get = (key: string): string | undefined => {
    const slot = slotOf(key)
    const k = keyOf(key)
    const value = this.owner[slot]?.store.get(k) ?? this.migrations.get(slot)?.to.store.get(k)
    return value?.toString("utf8")
  }

  readonly count = (command: string, node?: Api.ScriptedNode): number =>
    (node === undefined ? this.entries : this.own(node).entries).filter((e) => entryMatches(e, command)).length

  readonly clearLog = (): void => {
    this.entries = []
    for (const n of this.members) n.entries = []
  }

  // ---------------------------------------------------------------------------------------------
  // Changing the cluster

  private moveKeys(from: NodeState, to: NodeState, inSlot: (slot: number) => boolean): void {
    if (from === to) return
    for (const [k, v] of Array.from(from.store)) {
      if (inSlot(slotOf(Buffer.from(k, "latin1")))) {
        from.store.delete(k)
        to.store.set(k, v)
      }
    }
  }

  /** The inclusive range, checked; migrations in it are cancelled. */
  private range(slots: number | readonly [number, number]): readonly [number, number] {
    const [start, end] = typeof slots === "number" ? [slots, slots] : slots
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end >= SLOTS || start > end) {
      throw new Error(`ScriptedCluster: bad slot range ${start}-${end}`)
    }
    for (let s = start; s <= end; s++) {
      const m = this.migrations.get(s)
      if (m !== undefined) this.moveKeys(m.to, m.from, (x) => x === s)
      this.migrations.delete(s)
    }
    return [start, end]
  }

  readonly moveSlots = (
    slots: number | readonly [number, number],
    to: Api.ScriptedNode,
    options?: { readonly keys?: boolean | undefined }
  ): void => {
    const target = this.own(to)
    if (target.role !== "master") throw new Error(`ScriptedCluster: ${target.address} is a replica; slots go to masters`)
    const [start, end] = this.range(slots)
    const inRange = (s: number) => s >= start && s <= end
    if (options?.keys !== false) {
      const sources = new Set<NodeState>()
      for (let s = start; s <= end; s++) {
        const o = this.owner[s]
        if (o !== undefined && o !== target) sources.add(o)
      }
      for (const source of sources) this.moveKeys(source, target, (s) => inRange(s) && this.owner[s] === source)
    }
    for (let s = start; s <= end; s++) this.owner[s] = target
    this.epochValue++
  }

  readonly unassignSlots = (slots: number | readonly [number, number]): void => {
    const [start, end] = this.range(slots)
    const inRange = (s: number) => s >= start && s <= end
    for (const m of this.masters) {
      for (const k of Array.from(m.store.keys())) if (inRange(slotOf(Buffer.from(k, "latin1")))) m.store.delete(k)
    }
    for (let s = start; s <= end; s++) this.owner[s] = undefined
    this.epochValue++
  }

  readonly migrate = (slot: number, to: Api.ScriptedNode): Api.Migration => {
    const target = this.own(to)
    const from = this.owner[slot]
    if (from === undefined) throw new Error(`ScriptedCluster: slot ${slot} is not served`)
    if (target.role !== "master" || target === from) throw new Error(`ScriptedCluster: ${target.address} cannot import slot ${slot}`)
    if (this.migrations.has(slot)) throw new Error(`ScriptedCluster: slot ${slot} is already migrating`)
    const state: MigrationState = { slot, from, to: target }
    this.migrations.set(slot, state)
    const active = () => this.migrations.get(slot) === state
    return {
      slot,
      from,
      to: target,
      moveKey: (key) => {
        if (slotOf(key) !== slot) throw new Error(`ScriptedCluster: ${key} is not in slot ${slot}`)
        if (!active()) throw new Error(`ScriptedCluster: the migration of slot ${slot} is over`)
        const k = keyOf(key)
        const value = from.store.get(k)
        if (value !== undefined) {
          from.store.delete(k)
          target.store.set(k, value)
        }
      },
      finish: () => {
        if (!active()) return
        this.migrations.delete(slot)
        this.moveKeys(from, target, (s) => s === slot)
        this.owner[slot] = target
        this.epochValue++
      },
      cancel: () => {
        if (!active()) return
        this.migrations.delete(slot)
        this.moveKeys(target, from, (s) => s === slot)
      }
    }
  }

  readonly addNode = (options?: { readonly port?: number | undefined; readonly replicaOf?: Api.ScriptedNode | undefined }): NodeState => {
    const master = options?.replicaOf === undefined ? undefined : this.own(options.replicaOf)
    if (master !== undefined && master.role !== "master") throw new Error(`ScriptedCluster: ${master.address} is a replica`)
    const port = options?.port ?? Math.max(...this.members.map((n) => n.port), (this.options.basePort ?? 30001) - 1) + 1
    if (this.members.some((n) => n.port === port && n.host === this.host)) throw new Error(`ScriptedCluster: port ${port} is taken`)
    const node = this.create(port, master)
    this.epochValue++
    return node
  }

  readonly removeNode = (node: Api.ScriptedNode): void => {
    const n = this.own(node)
    if (n.role === "master" && (n.slots.length > 0 || n.replicas.length > 0)) {
      throw new Error(`ScriptedCluster: move the slots and remove the replicas of ${n.address} before removing it`)
    }
    this.members = this.members.filter((m) => m !== n)
    for (const [slot, m] of this.migrations) if (m.from === n || m.to === n) this.migrations.delete(slot)
    n.closeConnections()
    this.epochValue++
  }

  readonly failover = (replica: Api.ScriptedNode): void => {
    const r = this.own(replica)
    const m = r.master
    if (r.role !== "replica" || m === undefined) throw new Error(`ScriptedCluster: ${r.address} is not a replica`)
    for (const other of m.replicas) other.master = r
    r.role = "master"
    r.master = undefined
    r.store = m.store
    m.role = "replica"
    m.master = r
    m.store = new Map()
    for (let s = 0; s < SLOTS; s++) if (this.owner[s] === m) this.owner[s] = r
    for (const [slot, mig] of this.migrations) {
      if (mig.from === m) this.migrations.set(slot, { ...mig, from: r })
      if (mig.to === m) this.migrations.set(slot, { ...mig, to: r })
    }
    this.epochValue++
  }

  // ---------------------------------------------------------------------------------------------
  // The connector

  readonly connector: Api.Connector<E> = {
    connect: (endpoint) =>
      Effect.acquireRelease(
        Effect.callback<Api.Transport, E>((resume) => {
          const timer = setImmediate(() => {
            const node = this.lookup(endpoint)
            if (node === undefined) {
              resume(Effect.fail(this.refuse(endpoint, `ECONNREFUSED: no node at ${endpoint.host}:${endpoint.port}`)))
            } else if (node.crashed) {
              resume(Effect.fail(this.refuse(endpoint, `ECONNREFUSED: ${node.address} is down`)))
            } else {
              resume(Effect.succeed(new ServerConnection(this as ClusterState<unknown>, node, this.nextConnection++)))
            }
          })
          return Effect.sync(() => clearImmediate(timer))
        }),
        (transport) => Effect.sync(() => transport.close())
      )
  }

  // ---------------------------------------------------------------------------------------------
  // Serving commands

  /**
   * Runs one command received on `conn` (rules already applied) and gives its reply. Connections
   * reach the serving code through their cluster, so `connection.ts` imports none of it at runtime.
   */
  execute(node: NodeState, conn: ServerConnection, args: ReadonlyArray<Buffer>): Reply {
    return serve(this as ClusterState<unknown>, node, conn, args)
  }
}

/**
 * Builds the cluster.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const make = <E>(
  options: Api.Options,
  refuse: (endpoint: Api.Endpoint, reason: string) => E
): Effect.Effect<ClusterState<E>> => Effect.sync(() => new ClusterState(options, refuse))
