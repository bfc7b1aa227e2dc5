/**
 * Serving one command on a scripted node: where a data command runs or which redirection it gets
 * (MOVED, ASK, TRYAGAIN, CROSSSLOT, CLUSTERDOWN), transactions, the handshake (HELLO, AUTH,
 * CLIENT…) and the discovery commands (CLUSTER SHARDS / SLOTS / NODES / INFO…).
 *
 * @internal
 */
import type { ClusterState } from "./cluster.js"
import { type DataCommand, dataCommands, keyOf, type Store } from "./commands.js"
import type { ServerConnection } from "./connection.js"
import { errorLines, type NodeState, upper } from "./node.js"
import { SLOTS, slotOf } from "./slot.js"
import { ErrorReply, MapReply, type Reply, SimpleString } from "./wire.js"

const OK = new SimpleString("OK")
const QUEUED = new SimpleString("QUEUED")
const CROSSSLOT = new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot")
const TRYAGAIN = errorLines.TRYAGAIN

/** Commands that are not queued inside MULTI. */
const transactionControl = new Set(["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "QUIT"])

const wrongArity = (args: ReadonlyArray<Buffer>): ErrorReply =>
  new ErrorReply(`ERR wrong number of arguments for '${(args[0] ?? Buffer.alloc(0)).toString("utf8").toLowerCase()}' command`)

/**
 * Where a data command runs, or the error that redirects it, as `getNodeByQuery` in Redis's
 * cluster.c decides.
 */
function route(cluster: ClusterState<unknown>, node: NodeState, conn: ServerConnection, command: DataCommand, args: ReadonlyArray<Buffer>): Store | ErrorReply {
  const keys = command.keys(args)
  if (keys.length === 0) return node.keyspace()
  let slot = -1
  for (const k of keys) {
    const s = slotOf(k)
    if (slot === -1) slot = s
    else if (s !== slot) return CROSSSLOT
  }
  const owner = cluster.owner[slot]
  if (owner === undefined) return new ErrorReply("CLUSTERDOWN Hash slot not served")
  const migration = cluster.migrations.get(slot)
  const moved = () => new ErrorReply(`MOVED ${slot} ${owner.address}`)
  if (node.role === "replica") {
    return node.master === owner && command.readOnly && conn.readonly ? owner.store : moved()
  }
  if (owner === node) {
    if (migration === undefined) return node.store
    const present = keys.filter((k) => node.store.has(keyOf(k))).length
    if (present === keys.length) return node.store
    if (present > 0) return new ErrorReply(TRYAGAIN)
    return new ErrorReply(`ASK ${slot} ${migration.to.address}`)
  }
  if (migration !== undefined && migration.to === node && conn.asking) {
    const missing = keys.some((k) => !node.store.has(keyOf(k)))
    return keys.length > 1 && missing ? new ErrorReply(TRYAGAIN) : node.store
  }
  return moved()
}

/**
 * Runs one command received on `conn` (rules already applied) and gives its reply.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export function execute(cluster: ClusterState<unknown>, node: NodeState, conn: ServerConnection, args: ReadonlyArray<Buffer>): Reply {
  const name = upper(args[0])
  if (!conn.authed && name !== "HELLO" && name !== "AUTH") return new ErrorReply("NOAUTH Authentication required.")
  if (conn.multi !== undefined && !transactionControl.has(name)) {
    const command = dataCommands.get(name)
    const refused = command === undefined
      ? new ErrorReply(`ERR ScriptedCluster does not queue '${args[0]!.toString()}' inside MULTI`)
      : args.length < command.arity
      ? wrongArity(args)
      : route(cluster, node, conn, command, args)
    if (refused instanceof ErrorReply) {
      conn.dirty = true
      return refused
    }
    conn.multi.push(args)
    return QUEUED
  }
  const reply = dispatch(cluster, node, conn, name, args)
  if (name !== "ASKING" && conn.multi === undefined) conn.asking = false
  return reply
}

function dispatch(cluster: ClusterState<unknown>, node: NodeState, conn: ServerConnection, name: string, args: ReadonlyArray<Buffer>): Reply {
  switch (name) {
    case "MULTI":
      if (conn.multi !== undefined) return new ErrorReply("ERR MULTI calls can not be nested")
      conn.multi = []
      conn.dirty = false
      return OK
    case "DISCARD":
      if (conn.multi === undefined) return new ErrorReply("ERR DISCARD without MULTI")
      conn.multi = undefined
      return OK
    case "EXEC": {
      const queued = conn.multi
      if (queued === undefined) return new ErrorReply("ERR EXEC without MULTI")
      conn.multi = undefined
      if (conn.dirty) return new ErrorReply("EXECABORT Transaction discarded because of previous errors.")
      const stores: Array<Store> = []
      for (const q of queued) {
        const routed = route(cluster, node, conn, dataCommands.get(upper(q[0]))!, q)
        if (routed instanceof ErrorReply) return routed
        stores.push(routed)
      }
      return queued.map((q, i) => dataCommands.get(upper(q[0]))!.run(stores[i]!, q, env(cluster, node)))
    }
  }
  const command = dataCommands.get(name)
  if (command !== undefined) {
    if (args.length < command.arity) return wrongArity(args)
    const routed = route(cluster, node, conn, command, args)
    if (routed instanceof ErrorReply) return routed
    return command.run(routed, args, env(cluster, node))
  }
  return control(cluster, node, conn, name, args)
}

function env(cluster: ClusterState<unknown>, node: NodeState) {
  return { node: node.address, onEval: cluster.options.onEval }
}

function control(cluster: ClusterState<unknown>, node: NodeState, conn: ServerConnection, name: string, args: ReadonlyArray<Buffer>): Reply {
  const text = (i: number) => args[i]?.toString("utf8")
  switch (name) {
    case "PING":
      return args.length > 1 ? Buffer.from(args[1]!) : new SimpleString("PONG")
    case "ECHO":
      return args.length > 1 ? Buffer.from(args[1]!) : wrongArity(args)
    case "HELLO":
      return hello(cluster, node, conn, args)
    case "AUTH": {
      if (args.length < 2 || args.length > 3) return wrongArity(args)
      if (cluster.options.password === undefined) {
        return new ErrorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
      }
      const ok = args.length === 2 ? checkPassword(cluster, "default", text(1)!) : checkPassword(cluster, text(1)!, text(2)!)
      if (!ok) return new ErrorReply("WRONGPASS invalid username-password pair or user is disabled.")
      conn.authed = true
      return OK
    }
    case "CLIENT":
      switch (upper(args[1])) {
        case "SETNAME":
          if (args.length !== 3) return wrongArity(args)
          conn.name = text(2)
          return OK
        case "GETNAME":
          return conn.name ?? null
        case "ID":
          return conn.id
        case "SETINFO":
          return OK
        default:
          return new ErrorReply(`ERR unknown subcommand '${text(1) ?? ""}'. Try CLIENT HELP.`)
      }
    case "READONLY":
      conn.readonly = true
      return OK
    case "READWRITE":
      conn.readonly = false
      return OK
    case "ASKING":
      conn.asking = true
      return OK
    case "SELECT":
      return text(1) === "0" ? OK : new ErrorReply("ERR SELECT is not allowed in cluster mode")
    case "DBSIZE":
      return node.keyspace().size
    case "FLUSHALL":
    case "FLUSHDB":
      if (node.role === "replica") return new ErrorReply(errorLines.READONLY)
      node.store.clear()
      return OK
    case "CLUSTER":
      return clusterCommand(cluster, node, args)
    default:
      return new ErrorReply(
        `ERR unknown command '${text(0) ?? ""}', with args beginning with: ${args.slice(1).map((a) => `'${a.toString("utf8")}' `).join("")}`
      )
  }
}

function checkPassword(cluster: ClusterState<unknown>, user: string, password: string): boolean {
  return user === (cluster.options.username ?? "default") && password === cluster.options.password
}

function hello(cluster: ClusterState<unknown>, node: NodeState, conn: ServerConnection, args: ReadonlyArray<Buffer>): Reply {
  let protocol = conn.protocol
  if (args.length > 1) {
    const version = args[1]!.toString()
    if (version !== "2" && version !== "3") return new ErrorReply("NOPROTO unsupported protocol version")
    if (version === "3" && cluster.options.resp3 === false) return new ErrorReply("NOPROTO unsupported protocol version")
    protocol = version === "3" ? 3 : 2
  }
  let name: string | undefined
  let authed = conn.authed
  for (let i = 2; i < args.length; i++) {
    const option = upper(args[i])
    if (option === "AUTH" && i + 2 < args.length) {
      const user = args[++i]!.toString("utf8")
      const password = args[++i]!.toString("utf8")
      if (cluster.options.password !== undefined) {
        if (!checkPassword(cluster, user, password)) return new ErrorReply("WRONGPASS invalid username-password pair or user is disabled.")
      }
      authed = true
    } else if (option === "SETNAME" && i + 1 < args.length) {
      name = args[++i]!.toString("utf8")
    } else {
      return new ErrorReply(`ERR Syntax error in HELLO option '${args[i]!.toString("utf8")}'`)
    }
  }
  if (!authed) {
    return new ErrorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
  }
  conn.authed = true
  conn.protocol = protocol
  if (name !== undefined) conn.name = name
  return new MapReply([
    ["server", "redis"],
    ["version", "7.2.0"],
    ["proto", protocol],
    ["id", conn.id],
    ["mode", "cluster"],
    ["role", node.role],
    ["modules", []]
  ])
}

function clusterCommand(cluster: ClusterState<unknown>, node: NodeState, args: ReadonlyArray<Buffer>): Reply {
  const sub = upper(args[1])
  switch (sub) {
    case "SHARDS":
      if (cluster.options.clusterShards === false) return new ErrorReply(`ERR unknown subcommand '${args[1]!.toString()}'. Try CLUSTER HELP.`)
      return cluster.masters.map((m) =>
        new MapReply([
          ["slots", m.slots.flatMap(([a, b]) => [a, b])],
          ["nodes", [m, ...m.replicas].map((n) =>
            new MapReply([
              ["id", n.id],
              ["port", n.port],
              ["ip", n.host],
              ["endpoint", n.host],
              ["role", n.role],
              ["replication-offset", 0],
              ["health", n.crashed ? "fail" : "online"]
            ])
          )]
        ])
      )
    case "SLOTS": {
      const out: Array<Reply> = []
      for (const m of cluster.masters) {
        const replicas = m.replicas.filter((r) => !r.crashed).map((r): Reply => [r.host, r.port, r.id])
        for (const [a, b] of m.slots) out.push([a, b, [m.host, m.port, m.id], ...replicas])
      }
      return out
    }
    case "INFO": {
      let assigned = 0
      for (let s = 0; s < SLOTS; s++) if (cluster.owner[s] !== undefined) assigned++
      const lines = [
        `cluster_state:${assigned === SLOTS ? "ok" : "fail"}`,
        `cluster_slots_assigned:${assigned}`,
        `cluster_slots_ok:${assigned}`,
        "cluster_slots_pfail:0",
        "cluster_slots_fail:0",
        `cluster_known_nodes:${cluster.members.length}`,
        `cluster_size:${cluster.masters.filter((m) => m.slots.length > 0).length}`,
        `cluster_current_epoch:${cluster.epochValue}`,
        `cluster_my_epoch:${cluster.epochValue}`
      ]
      return lines.join("\r\n") + "\r\n"
    }
    case "NODES":
      return cluster.members.map((n) => {
        const flags = [...(n === node ? ["myself"] : []), n.role === "master" ? "master" : "slave", ...(n.crashed ? ["fail"] : [])].join(",")
        const ranges = n.slots.map(([a, b]) => a === b ? `${a}` : `${a}-${b}`).join(" ")
        return `${n.id} ${n.host}:${n.port}@${n.port + 10000} ${flags} ${n.master?.id ?? "-"} 0 0 ${cluster.epochValue} connected${ranges === "" ? "" : ` ${ranges}`}\n`
      }).join("")
    case "MYID":
      return node.id
    case "KEYSLOT":
      return args.length === 3 ? slotOf(args[2]!) : wrongArity(args)
    case "COUNTKEYSINSLOT": {
      const slot = Number(args[2]?.toString())
      let n = 0
      for (const k of node.keyspace().keys()) if (slotOf(Buffer.from(k, "latin1")) === slot) n++
      return n
    }
    case "GETKEYSINSLOT": {
      const slot = Number(args[2]?.toString())
      const count = Number(args[3]?.toString())
      const keys: Array<Reply> = []
      for (const k of node.keyspace().keys()) {
        if (keys.length >= count) break
        if (slotOf(Buffer.from(k, "latin1")) === slot) keys.push(Buffer.from(k, "latin1"))
      }
      return keys
    }
    default:
      return new ErrorReply(`ERR unknown subcommand '${args[1]?.toString() ?? ""}'. Try CLUSTER HELP.`)
  }
}
