/**
 * Reading a node's view of the cluster from `CLUSTER SHARDS` (Redis ≥ 7) or `CLUSTER SLOTS`, and
 * choosing between several nodes' views. Pure functions: the service in `Topology.ts` does the I/O.
 *
 * @internal
 */
import type { Endpoint } from "../../Connector.js"
import * as Resp from "../../Resp.js"
import * as R from "../command/reply.js"
import { ReplyShape } from "../command/reply.js"
import type { NodeHealth } from "../../Topology.js"

/**
 * Health of a node as its shard reports it (the public `NodeHealth`).
 *
 * @since 0.1.0
 * @category models
 */
export type Health = NodeHealth

/**
 * One node as seen in a view.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeView {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly role: "master" | "replica"
  readonly health: Health
  /** The node's announced hostname, when it has one. */
  readonly hostname?: string | undefined
  /** The node announced no endpoint: `host` is the host we asked, one spelling among several. */
  readonly inferredHost?: boolean | undefined
}

/**
 * One shard: a master, its replicas, and the slot ranges it serves (possibly none).
 *
 * @since 0.1.0
 * @category models
 */
export interface ShardView {
  readonly master: NodeView
  readonly replicas: ReadonlyArray<NodeView>
  /** Inclusive `[start, end]` ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>
}

/**
 * What one node answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface View {
  readonly shards: ReadonlyArray<ShardView>
  /** `cluster_current_epoch` of the answering node, for breaking ties between views. */
  readonly epoch: number
}

const str = (v: Resp.RespValue): string | undefined => {
  const s = R.string(v)
  return s instanceof ReplyShape ? undefined : s
}

/**
 * The host to use for an announced endpoint: NULL or "" mean "the host you asked"; "?" means the
 * node's address is unknown (the node is skipped).
 */
const endpointHost = (announced: string | undefined, asked: string): string | undefined => {
  if (announced === undefined || announced === "") return asked
  if (announced === "?") return undefined
  return announced
}

const fieldMap = (v: Resp.RespValue): Map<string, Resp.RespValue> | ReplyShape => {
  const ps = R.pairs(v)
  if (ps instanceof ReplyShape) return ps
  const out = new Map<string, Resp.RespValue>()
  for (const [k, val] of ps) {
    const key = str(k)
    if (key !== undefined) out.set(key, val)
  }
  return out
}

/**
 * Parses a `CLUSTER SHARDS` reply (RESP2 or RESP3). `asked` is the node that answered; `tls`
 * selects `tls-port` where the node announces one.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseShards = (
  reply: Resp.RespValue,
  asked: Endpoint,
  tls: boolean,
  remap: (e: Endpoint) => Endpoint
): ReadonlyArray<ShardView> | ReplyShape => {
  const shards = R.array(reply)
  if (shards instanceof ReplyShape) return shards
  const out: Array<ShardView> = []
  for (const shard of shards) {
    const fields = fieldMap(shard)
    if (fields instanceof ReplyShape) return fields
    const slotList = R.arrayOf(fields.get("slots") ?? [], R.integer)
    if (slotList instanceof ReplyShape) return slotList
    if (slotList.length % 2 !== 0) return new ReplyShape("slot ranges in pairs", fields.get("slots") ?? null)
    const ranges: Array<readonly [number, number]> = []
    for (let i = 0; i < slotList.length; i += 2) ranges.push([slotList[i]!, slotList[i + 1]!])
    const nodes = R.array(fields.get("nodes") ?? [])
    if (nodes instanceof ReplyShape) return nodes
    let master: NodeView | undefined
    const replicas: Array<NodeView> = []
    for (const n of nodes) {
      const f = fieldMap(n)
      if (f instanceof ReplyShape) return f
      const id = str(f.get("id") ?? null) ?? ""
      const endpoint = f.get("endpoint")
      const ip = f.get("ip")
      const announced = endpoint === undefined || endpoint === null ? undefined : str(endpoint)
      // "?": the preferred endpoint (a hostname) is unknown; the node's IP still reaches it.
      const host = announced === "?" && ip !== undefined && ip !== null && str(ip) !== "?" && str(ip) !== ""
        ? str(ip)
        : endpointHost(announced, asked.host)
      const tlsPort = f.get("tls-port")
      const portValue = tls && tlsPort !== undefined ? tlsPort : f.get("port")
      const port = portValue === undefined ? undefined : R.integer(portValue)
      if (host === undefined || port === undefined || port instanceof ReplyShape || port <= 0) continue
      const role = str(f.get("role") ?? null) === "master" ? "master" : "replica"
      const healthText = str(f.get("health") ?? null)
      const health: Health = healthText === "loading" ? "loading" : healthText === "fail" || healthText === "failed" ? "failed" : "online"
      const hostname = f.get("hostname")
      const mapped = remap({ host, port })
      const node: NodeView = {
        id,
        host: mapped.host,
        port: mapped.port,
        role,
        health,
        inferredHost: announced === undefined || announced === "",
        ...(hostname !== undefined && hostname !== null ? { hostname: str(hostname) } : {})
      }
      if (role === "master") master = node
      else replicas.push(node)
    }
    // A shard whose master's address is unknown cannot be routed to; its slots count as uncovered.
    if (master === undefined) continue
    out.push({ master, replicas, ranges })
  }
  return out
}

/**
 * Parses a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id, meta?], replicas...], ...]`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseSlots = (
  reply: Resp.RespValue,
  asked: Endpoint,
  remap: (e: Endpoint) => Endpoint
): ReadonlyArray<ShardView> | ReplyShape => {
  const entries = R.array(reply)
  if (entries instanceof ReplyShape) return entries
  const byMaster = new Map<string, { master: NodeView; replicas: Map<string, NodeView>; ranges: Array<readonly [number, number]> }>()
  for (const entry of entries) {
    const e = R.array(entry)
    if (e instanceof ReplyShape) return e
    if (e.length < 3) return new ReplyShape("a slot range with a master", entry)
    const start = R.integer(e[0]!)
    const end = R.integer(e[1]!)
    if (start instanceof ReplyShape) return start
    if (end instanceof ReplyShape) return end
    const nodes: Array<NodeView> = []
    for (let i = 2; i < e.length; i++) {
      const n = R.array(e[i]!)
      if (n instanceof ReplyShape) return n
      const announced = n[0] === null || n[0] === undefined ? undefined : str(n[0])
      const meta = n[3] === undefined ? undefined : fieldMap(n[3])
      const metaIp = meta === undefined || meta instanceof ReplyShape ? undefined : meta.get("ip")
      const host = announced === "?" && metaIp !== undefined && metaIp !== null ? str(metaIp) : endpointHost(announced, asked.host)
      const port = R.integer(n[1] ?? null)
      if (host === undefined || port instanceof ReplyShape) {
        if (i === 2) nodes.push({ id: "", host: "", port: 0, role: "master", health: "failed" })
        continue
      }
      const mapped = remap({ host, port })
      nodes.push({
        id: n[2] === undefined ? `${mapped.host}:${mapped.port}` : str(n[2]) ?? "",
        host: mapped.host,
        port: mapped.port,
        inferredHost: announced === undefined || announced === "",
        role: i === 2 ? "master" : "replica",
        health: "online"
      })
    }
    const master = nodes[0]!
    if (master.port === 0) continue
    const key = master.id !== "" ? master.id : `${master.host}:${master.port}`
    let shard = byMaster.get(key)
    if (shard === undefined) {
      shard = { master, replicas: new Map(), ranges: [] }
      byMaster.set(key, shard)
    }
    shard.ranges.push([start, end])
    for (const r of nodes.slice(1)) shard.replicas.set(`${r.host}:${r.port}`, r)
  }
  return Array.from(byMaster.values(), (s) => ({ master: s.master, replicas: Array.from(s.replicas.values()), ranges: s.ranges }))
}

/**
 * Nodes compare by id and port: two nodes describing one cluster may spell hosts differently
 * (an empty endpoint resolves to whichever host was asked).
 */
const identity = (n: NodeView): string => n.id !== "" ? `${n.id}:${n.port}` : `${n.host}:${n.port}`

/**
 * A canonical text of who serves which slots, to compare views.
 *
 * @since 0.1.0
 * @category utils
 */
export const signature = (shards: ReadonlyArray<ShardView>): string =>
  shards
    .filter((s) => s.ranges.length > 0)
    .map((s) => {
      const ranges = [...s.ranges].sort((a, b) => a[0] - b[0]).map(([a, b]) => `${a}-${b}`).join(",")
      const replicas = s.replicas.map((r) => `${identity(r)}/${r.health}`).sort().join(",")
      return `${identity(s.master)}[${ranges}](${replicas})`
    })
    .sort()
    .join(" ")

/**
 * Chooses between views: the one most nodes agree on; ties go to the highest current epoch (the
 * node that saw the latest configuration change). A lone dissenting node never outvotes agreement.
 *
 * @since 0.1.0
 * @category utils
 */
export const chooseView = (views: ReadonlyArray<View>): View | undefined => {
  const groups = new Map<string, { view: View; votes: number; epoch: number }>()
  for (const view of views) {
    const sig = signature(view.shards)
    const g = groups.get(sig)
    if (g === undefined) groups.set(sig, { view, votes: 1, epoch: view.epoch })
    else {
      g.votes++
      if (view.epoch > g.epoch) {
        g.epoch = view.epoch
        g.view = view
      }
    }
  }
  let best: { view: View; votes: number; epoch: number } | undefined
  for (const g of groups.values()) {
    if (best === undefined || g.votes > best.votes || (g.votes === best.votes && g.epoch > best.epoch)) best = g
  }
  return best?.view
}

/**
 * Slots no shard of the view serves.
 *
 * @since 0.1.0
 * @category utils
 */
export const uncoveredSlots = (shards: ReadonlyArray<ShardView>): number => {
  const covered = new Uint8Array(16384)
  let count = 0
  for (const s of shards) {
    for (const [a, b] of s.ranges) {
      for (let i = Math.max(0, a); i <= Math.min(16383, b); i++) {
        if (covered[i] === 0) {
          covered[i] = 1
          count++
        }
      }
    }
  }
  return 16384 - count
}
