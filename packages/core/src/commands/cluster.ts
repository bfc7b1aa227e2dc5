/**
 * Command constructors: cluster (`CLUSTER ...`, `ASKING`, `READONLY`, `READWRITE`).
 *
 * Cluster management commands act on the node they are sent to (`CLUSTER FAILOVER` on a replica,
 * `CLUSTER ADDSLOTS`/`SETSLOT`/`RESET`... on a chosen node): send them with
 * `redis.executeOn(node, Command.clusterFailover())`. The service methods (`redis.clusterFailover()`)
 * fail with `UnsupportedCommandError` rather than run them on a node picked at random.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Arg, Command, Decoder } from "../internal/command/command.js"
import { fanout, keyless, merge, onNode as nodeCommand, READONLY, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Types

/**
 * One line of `CLUSTER NODES` / `CLUSTER REPLICAS`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterNodeLine {
  /** The node id. */
  readonly id: string
  /** `ip:port` clients connect to. */
  readonly address: string
  /** The cluster bus port. */
  readonly busPort: number
  /** The announced hostname, when there is one. */
  readonly hostname: Option.Option<string>
  /** `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, `nofailover`, `noflags`. */
  readonly flags: ReadonlyArray<string>
  /** The master's id, for replicas. */
  readonly masterId: Option.Option<string>
  /** Unix time, ms, of the pending PING (0 when none). */
  readonly pingSent: number
  /** Unix time, ms, of the last PONG. */
  readonly pongReceived: number
  readonly configEpoch: number
  readonly linkState: "connected" | "disconnected"
  /** Slots and ranges as listed (`0-5460`, `[1-<-node]` for migrations). */
  readonly slots: ReadonlyArray<string>
}

/**
 * One cluster bus link (`CLUSTER LINKS`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterLink {
  /** `to`: this node opened it; `from`: the peer did. */
  readonly direction: string
  /** The peer's node id. */
  readonly node: string
  /** Unix time, ms, of creation. */
  readonly createTime: number
  /** Events the link is registered for (`r`, `w`, `rw`). */
  readonly events: string
  readonly sendBufferAllocated: number
  readonly sendBufferUsed: number
}

/**
 * What `CLUSTER SETSLOT slot ...` does.
 *
 * @since 0.1.0
 * @category models
 */
export type ClusterSetslotAction =
  | { readonly importing: string }
  | { readonly migrating: string }
  | { readonly node: string }
  | "STABLE"

// ---------------------------------------------------------------------------------------------
// Helpers (module-private)

const strings = R.strings

const num = (s: string | undefined): number => {
  const n = Number(s)
  return Number.isNaN(n) ? 0 : n
}

const parseNodeLine = (line: string): ClusterNodeLine | ReplyShape => {
  const parts = line.trim().split(" ")
  if (parts.length < 8) return new ReplyShape("a CLUSTER NODES line", line)
  const [id, endpoint, flags, master, pingSent, pongReceived, epoch, link] = parts as [string, string, string, string, string, string, string, string]
  // ip:port@cport[,hostname]
  const comma = endpoint.indexOf(",")
  const addressPart = comma === -1 ? endpoint : endpoint.slice(0, comma)
  const hostname = comma === -1 ? "" : endpoint.slice(comma + 1)
  const at = addressPart.indexOf("@")
  return {
    id,
    address: at === -1 ? addressPart : addressPart.slice(0, at),
    busPort: at === -1 ? 0 : num(addressPart.slice(at + 1)),
    hostname: hostname === "" ? Option.none() : Option.some(hostname),
    flags: flags.split(",").filter((f) => f !== "myself"),
    masterId: master === "-" ? Option.none() : Option.some(master),
    pingSent: num(pingSent),
    pongReceived: num(pongReceived),
    configEpoch: num(epoch),
    linkState: link === "connected" ? "connected" : "disconnected",
    slots: parts.slice(8)
  }
}

const nodeLines = (v: Resp.RespValue): ReadonlyArray<ClusterNodeLine> | ReplyShape =>
  R.arrayOf(v, (e) => {
    const s = R.string(e)
    return s instanceof ReplyShape ? s : parseNodeLine(s)
  })

const field = (m: ReadonlyMap<string, Resp.RespValue>, name: string, whole: Resp.RespValue): Resp.RespValue | ReplyShape => {
  const v = m.get(name)
  return v === undefined ? new ReplyShape(`a field "${name}"`, whole) : v
}

const fieldMap = R.fieldMap

const link = (v: Resp.RespValue): ClusterLink | ReplyShape => {
  const m = fieldMap(v)
  if (m instanceof ReplyShape) return m
  const text = (name: string) => {
    const f = field(m, name, v)
    return f instanceof ReplyShape ? f : R.string(f)
  }
  const int = (name: string) => {
    const f = field(m, name, v)
    return f instanceof ReplyShape ? f : R.integer(f)
  }
  const direction = text("direction")
  const node = text("node")
  const createTime = int("create-time")
  const events = text("events")
  const sendBufferAllocated = int("send-buffer-allocated")
  const sendBufferUsed = int("send-buffer-used")
  for (const x of [direction, node, createTime, events, sendBufferAllocated, sendBufferUsed]) if (x instanceof ReplyShape) return x
  return {
    direction: direction as string,
    node: node as string,
    createTime: createTime as number,
    events: events as string,
    sendBufferAllocated: sendBufferAllocated as number,
    sendBufferUsed: sendBufferUsed as number
  }
}

const bumpReply = (v: Resp.RespValue): { readonly bumped: boolean; readonly epoch: number } | ReplyShape => {
  const s = R.string(v)
  if (s instanceof ReplyShape) return s
  const m = /^(BUMPED|STILL) (\d+)$/.exec(s)
  return m === null ? new ReplyShape("BUMPED <epoch> or STILL <epoch>", v) : { bumped: m[1] === "BUMPED", epoch: Number(m[2]) }
}

/** A command that acts on the node it is sent to: only `executeOn(node, command)` runs it. */
const onNode = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, decode: Decoder<A>): Command<A> => nodeCommand(name, args, 0, decode)

const slotRanges = (ranges: ReadonlyArray<readonly [number, number]>): Array<number> => ranges.flatMap(([a, b]) => [a, b])

// ---------------------------------------------------------------------------------------------
// Managed by the client (refused)

/**
 * `ASKING`: refused; the client sends it itself before a command that follows an ASK redirect.
 *
 * @since 0.1.0
 * @category cluster
 */
export const asking = (): Command<never> =>
  unsupported("ASKING", ["ASKING"], "the client sends ASKING itself, on the connection and just before the command an ASK redirect points to")

/**
 * `READONLY`: refused; replica reads are the config's `readFrom` (connections are set up for it).
 *
 * @since 0.1.0
 * @category cluster
 */
export const readonly = (): Command<never> =>
  unsupported("READONLY", ["READONLY"], "replica reads are managed: set readFrom in the client config")

/**
 * `READWRITE`: refused; replica reads are the config's `readFrom`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const readwrite = (): Command<never> =>
  unsupported("READWRITE", ["READWRITE"], "replica reads are managed: set readFrom in the client config")

// ---------------------------------------------------------------------------------------------
// Reads any node (or every node) can answer

/**
 * `CLUSTER INFO` as a record (`cluster_state`, `cluster_known_nodes`...).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterInfo = (): Command<Record<string, string>> =>
  keyless("CLUSTER INFO", ["CLUSTER", "INFO"], READONLY, R.infoLines)

/**
 * `CLUSTER NODES`: the raw text, one line per node.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterNodes = (): Command<string> => keyless("CLUSTER NODES", ["CLUSTER", "NODES"], READONLY, R.string)

/**
 * `CLUSTER SLOTS`: the raw reply (ranges with their nodes).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSlots = (): Command<Resp.RespValue> => keyless("CLUSTER SLOTS", ["CLUSTER", "SLOTS"], READONLY, R.raw)

/**
 * `CLUSTER SHARDS`: the raw reply (shards with slots and nodes).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterShards = (): Command<Resp.RespValue> => keyless("CLUSTER SHARDS", ["CLUSTER", "SHARDS"], READONLY, R.raw)

/**
 * `CLUSTER KEYSLOT key`: the slot of a key, as the server computes it.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterKeyslot = (k: Arg): Command<number> =>
  keyless("CLUSTER KEYSLOT", ["CLUSTER", "KEYSLOT", k], READONLY, R.integer)

/**
 * `CLUSTER HELP`: the subcommands' help lines.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterHelp = (): Command<ReadonlyArray<string>> => keyless("CLUSTER HELP", ["CLUSTER", "HELP"], 0, strings)

/**
 * `CLUSTER COUNTKEYSINSLOT slot`: keys in the slot. Sent to every master and added up (non-owners
 * count 0; mid-migration the keys on both sides add up); `executeOn` asks one node.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterCountkeysinslot = (slot: number) =>
  fanout("CLUSTER COUNTKEYSINSLOT", ["CLUSTER", "COUNTKEYSINSLOT", slot], 0, "masters", R.integer, merge.sum)

/**
 * `CLUSTER GETKEYSINSLOT slot count`: up to `count` keys of the slot. Sent to every master, the
 * keys concatenated (non-owners have none; mid-migration both sides contribute).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterGetkeysinslot = (slot: number, count: number) =>
  fanout("CLUSTER GETKEYSINSLOT", ["CLUSTER", "GETKEYSINSLOT", slot, count], 0, "masters", strings, (replies) =>
    merge.concat(replies).slice(0, count))

/**
 * `CLUSTER COUNT-FAILURE-REPORTS node-id`: failure reports about a node, as the answering node sees them.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterCountFailureReports = (nodeId: string): Command<number> =>
  keyless("CLUSTER COUNT-FAILURE-REPORTS", ["CLUSTER", "COUNT-FAILURE-REPORTS", nodeId], 0, R.integer)

/**
 * `CLUSTER MYID` on every node: each node's id, by node address (`executeOn` gives one node's id).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterMyid = () =>
  fanout("CLUSTER MYID", ["CLUSTER", "MYID"], 0, "nodes", R.string, merge.byNode)

/**
 * `CLUSTER LINKS` on every node: each node's cluster bus links, by node address.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterLinks = () =>
  fanout("CLUSTER LINKS", ["CLUSTER", "LINKS"], 0, "nodes", (v) => R.arrayOf(v, link), merge.byNode)

/**
 * `CLUSTER REPLICAS node-id`: the replicas of a master, as `CLUSTER NODES` lines.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterReplicas = (nodeId: string): Command<ReadonlyArray<ClusterNodeLine>> =>
  keyless("CLUSTER REPLICAS", ["CLUSTER", "REPLICAS", nodeId], 0, nodeLines)

/**
 * `CLUSTER SLAVES node-id`: the old name of `CLUSTER REPLICAS`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSlaves = (nodeId: string): Command<ReadonlyArray<ClusterNodeLine>> =>
  keyless("CLUSTER SLAVES", ["CLUSTER", "SLAVES", nodeId], 0, nodeLines)

/**
 * `CLUSTER MEET ip port [cluster-bus-port]`: introduces a node to the cluster. Any member can do it
 * (the cluster gossips), so this one goes to any master.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterMeet = (host: string, port: number, busPort?: number): Command<void> =>
  keyless("CLUSTER MEET", busPort === undefined ? ["CLUSTER", "MEET", host, port] : ["CLUSTER", "MEET", host, port, busPort], 0, R.ok)

/**
 * `CLUSTER SAVECONFIG` on every node: each writes its `nodes.conf`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSaveconfig = () =>
  fanout("CLUSTER SAVECONFIG", ["CLUSTER", "SAVECONFIG"], 0, "nodes", R.ok, merge.first)

// ---------------------------------------------------------------------------------------------
// Node-targeted management: redis.executeOn(node, Command.clusterX(...))

/**
 * `CLUSTER ADDSLOTS slot...` on one node: `redis.executeOn(node, Command.clusterAddslots(...))`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterAddslots = (...slots: ReadonlyArray<number>): Command<void> =>
  onNode("CLUSTER ADDSLOTS", ["CLUSTER", "ADDSLOTS", ...slots], R.ok)

/**
 * `CLUSTER ADDSLOTSRANGE start end ...` (inclusive ranges) on one node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterAddslotsrange = (...ranges: ReadonlyArray<readonly [number, number]>): Command<void> =>
  onNode("CLUSTER ADDSLOTSRANGE", ["CLUSTER", "ADDSLOTSRANGE", ...slotRanges(ranges)], R.ok)

/**
 * `CLUSTER DELSLOTS slot...` on one node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterDelslots = (...slots: ReadonlyArray<number>): Command<void> =>
  onNode("CLUSTER DELSLOTS", ["CLUSTER", "DELSLOTS", ...slots], R.ok)

/**
 * `CLUSTER DELSLOTSRANGE start end ...` on one node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterDelslotsrange = (...ranges: ReadonlyArray<readonly [number, number]>): Command<void> =>
  onNode("CLUSTER DELSLOTSRANGE", ["CLUSTER", "DELSLOTSRANGE", ...slotRanges(ranges)], R.ok)

/**
 * `CLUSTER FLUSHSLOTS` on one (empty) node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterFlushslots = (): Command<void> => onNode("CLUSTER FLUSHSLOTS", ["CLUSTER", "FLUSHSLOTS"], R.ok)

/**
 * `CLUSTER FAILOVER [FORCE|TAKEOVER]` on a replica, via `redis.executeOn(replica, Command.clusterFailover())`:
 * `OK` once the failover is started (the promotion follows shortly).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterFailover = (mode?: "FORCE" | "TAKEOVER"): Command<void> =>
  onNode("CLUSTER FAILOVER", mode === undefined ? ["CLUSTER", "FAILOVER"] : ["CLUSTER", "FAILOVER", mode], R.ok)

/**
 * `CLUSTER FORGET node-id` on one node, via `executeOn` (send it to every other node within 60 s).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterForget = (nodeId: string): Command<void> =>
  onNode("CLUSTER FORGET", ["CLUSTER", "FORGET", nodeId], R.ok)

/**
 * `CLUSTER REPLICATE node-id`: makes the node it is sent to a replica of that master, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterReplicate = (nodeId: string): Command<void> =>
  onNode("CLUSTER REPLICATE", ["CLUSTER", "REPLICATE", nodeId], R.ok)

/**
 * `CLUSTER RESET [HARD|SOFT]` on one node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterReset = (mode?: "HARD" | "SOFT"): Command<void> =>
  onNode("CLUSTER RESET", mode === undefined ? ["CLUSTER", "RESET"] : ["CLUSTER", "RESET", mode], R.ok)

/**
 * `CLUSTER SET-CONFIG-EPOCH epoch` on one fresh node, via `executeOn`.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSetConfigEpoch = (epoch: number): Command<void> =>
  onNode("CLUSTER SET-CONFIG-EPOCH", ["CLUSTER", "SET-CONFIG-EPOCH", epoch], R.ok)

/**
 * `CLUSTER BUMPEPOCH` on one node, via `executeOn`: whether the epoch was bumped, and the node's epoch.
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterBumpepoch = (): Command<{ readonly bumped: boolean; readonly epoch: number }> =>
  onNode("CLUSTER BUMPEPOCH", ["CLUSTER", "BUMPEPOCH"], bumpReply)

/**
 * `CLUSTER SETSLOT slot IMPORTING id | MIGRATING id | NODE id | STABLE` on one node, via `executeOn`
 * (a migration sends it to the importing node, the migrating node, then every master with `NODE`).
 *
 * @since 0.1.0
 * @category cluster
 */
export const clusterSetslot = (slot: number, action: ClusterSetslotAction): Command<void> => {
  const tail: Array<Resp.RespArg> = action === "STABLE"
    ? ["STABLE"]
    : "importing" in action
    ? ["IMPORTING", action.importing]
    : "migrating" in action
    ? ["MIGRATING", action.migrating]
    : ["NODE", action.node]
  return onNode("CLUSTER SETSLOT", ["CLUSTER", "SETSLOT", slot, ...tail], R.ok)
}
