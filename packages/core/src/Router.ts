/**
 * Command → node: the slot of a command's keys, the node that serves it under the read policy,
 * and the per-slot grouping of commands that may be split.
 *
 * @since 0.1.0
 */
import type { Command } from "./internal/command/command.js"
import { CHANNEL } from "./internal/command/command.js"
import * as Slot from "./Slot.js"
import type { ClusterNode, Shard, TopologySnapshot } from "./Topology.js"

/**
 * Where read-only commands go:
 * - `"master"`: always the slot's master (default; never stale).
 * - `"replica"`: a replica of the slot's master; the master when it has none.
 * - `"replicaPreferred"`: a healthy replica, falling back to the master while none is reachable.
 * - `"any"`: any member of the slot's shard, master included, spread evenly.
 * - `"nearest"`: the member with the lowest measured latency.
 *
 * Covers redis-py-cluster's `readonly_mode` and `read_from_replicas`.
 *
 * @since 0.1.0
 * @category models
 */
export type ReadFrom = "master" | "replica" | "replicaPreferred" | "any" | "nearest"

/**
 * Every `ReadFrom` policy, in documentation order.
 *
 * @since 0.1.0
 * @category constants
 */
export const readFromValues: ReadonlyArray<ReadFrom> = ["master", "replica", "replicaPreferred", "any", "nearest"]

/**
 * The keys of a command hash to several slots: their key indices grouped by slot.
 *
 * @since 0.1.0
 * @category models
 */
export class MultiSlot {
  constructor(readonly slots: ReadonlyArray<number>, readonly groups: ReadonlyArray<ReadonlyArray<number>>) {}
}

/**
 * The slot a command is sent to: its keys' (`slotOf`), or for a keyless `CHANNEL` command its
 * channel's, so that one channel's messages all enter the cluster bus at one node and reach
 * subscribers in order (sent through different nodes they travel different bus links).
 *
 * @since 0.1.0
 * @category routing
 */
export const routeSlotOf = (command: Command<unknown>): number | MultiSlot => {
  const slot = slotOf(command)
  if (slot !== -1 || (command.flags & CHANNEL) === 0) return slot
  const channel = command.args[1]
  return channel === undefined || typeof channel === "number" ? -1 : Slot.slot(channel)
}

/**
 * Slot of a keyed command; `-1` for keyless ones; `MultiSlot` when the keys disagree.
 *
 * @since 0.1.0
 * @category routing
 */
export const slotOf = (command: Command<unknown>): number | MultiSlot => {
  const keys = command.keys
  if (keys.length === 0) return -1
  const first = Slot.slot(keys[0]!)
  if (keys.length === 1) return first
  let same = true
  const slots = new Array<number>(keys.length)
  slots[0] = first
  for (let i = 1; i < keys.length; i++) {
    const s = Slot.slot(keys[i]!)
    slots[i] = s
    if (s !== first) same = false
  }
  if (same) return first
  const bySlot = new Map<number, Array<number>>()
  for (let i = 0; i < slots.length; i++) {
    const group = bySlot.get(slots[i]!)
    if (group === undefined) bySlot.set(slots[i]!, [i])
    else group.push(i)
  }
  return new MultiSlot(Array.from(bySlot.keys()), Array.from(bySlot.values()))
}

/**
 * Picks nodes for commands; keeps the round-robin position between calls. Reads follow `readFrom`:
 * `replica` and `replicaPreferred` use healthy replicas in turn (the master when a shard has none),
 * `any` the master and replicas in turn, `nearest` the member with the lowest round-trip time
 * measured at the last refresh. Writes always go to the master.
 *
 * @since 0.1.0
 * @category routing
 */
export class NodePicker {
  private turn = 0
  constructor(readonly readFrom: ReadFrom) {}

  /** The node for a command on `shard`; `readOnly` is false for writes, which only a master may take. */
  pick(shard: Shard, snapshot: TopologySnapshot, readOnly: boolean): ClusterNode {
    if (!readOnly || this.readFrom === "master") return shard.master
    const replicas = shard.readReplicas
    switch (this.readFrom) {
      case "replica":
      case "replicaPreferred":
        return replicas.length === 0 ? shard.master : replicas[this.turn++ % replicas.length]!
      case "any": {
        const i = this.turn++ % (replicas.length + 1)
        return i === replicas.length ? shard.master : replicas[i]!
      }
      case "nearest": {
        let best = shard.master
        let bestRtt = snapshot.latency.get(best.address) ?? Infinity
        for (const r of replicas) {
          const rtt = snapshot.latency.get(r.address) ?? Infinity
          if (rtt < bestRtt) {
            best = r
            bestRtt = rtt
          }
        }
        return best
      }
    }
  }

  /** A shard for a keyless command: the masters that serve slots, in turn. */
  anyShard(snapshot: TopologySnapshot): Shard | undefined {
    const shards = snapshot.shards
    const n = shards.length
    for (let k = 0; k < n; k++) {
      const s = shards[this.turn++ % n]!
      if (s.ranges.length > 0) return s
    }
    return n === 0 ? undefined : shards[0]
  }
}
