/**
 * A scripted node's own state and fault rules: its role and keyspace, the rules a test installs
 * (error, reply, close, stall) and how a command picks the rule that applies, its command log, and
 * the down / stall switches.
 *
 * @internal
 */
import type * as Api from "../../ScriptedCluster.js"
import type { ClusterState } from "./cluster.js"
import { dataCommands, type Store, textOfKey } from "./commands.js"
import type { ServerConnection } from "./connection.js"
import type { Reply } from "./wire.js"

const TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"

/**
 * The error line of each `Api.ErrorCode`, as Redis words it.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const errorLines: Readonly<Record<Api.ErrorCode, string>> = {
  TRYAGAIN,
  CLUSTERDOWN: "CLUSTERDOWN The cluster is down",
  LOADING: "LOADING Redis is loading the dataset in memory",
  READONLY: "READONLY You can't write against a read only replica.",
  MASTERDOWN: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
}

/**
 * A command name or argument upper-cased (Redis matches them case-insensitively); `""` when absent.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const upper = (b: Buffer | undefined): string => b === undefined ? "" : b.toString("utf8").toUpperCase()

/** `"GET"` matches a `GET`; `"CLUSTER SHARDS"` a `CLUSTER SHARDS`. */
const nameMatches = (pattern: string, name: string, sub: string): boolean => {
  const space = pattern.indexOf(" ")
  return space === -1 ? pattern === name : pattern.slice(0, space) === name && pattern.slice(space + 1) === sub
}

/**
 * A rule as installed on a node.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class RuleState implements Api.Rule {
  hits = 0
  constructor(
    readonly node: NodeState,
    readonly action: Api.Action,
    readonly names: ReadonlyArray<string> | undefined,
    readonly when: ((args: ReadonlyArray<string>) => boolean) | undefined,
    public remaining: number
  ) {}

  readonly cancel = (): void => {
    const i = this.node.rules.indexOf(this)
    if (i !== -1) this.node.rules.splice(i, 1)
    this.remaining = 0
  }
}

/**
 * One node.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class NodeState implements Api.ScriptedNode {
  role: "master" | "replica"
  master: NodeState | undefined
  store: Store = new Map()
  crashed = false
  stalled = false
  readonly conns = new Set<ServerConnection>()
  readonly rules: Array<RuleState> = []
  entries: Array<Api.LoggedCommand> = []

  constructor(
    readonly cluster: ClusterState<unknown>,
    readonly id: string,
    readonly host: string,
    readonly port: number,
    master: NodeState | undefined
  ) {
    this.role = master === undefined ? "master" : "replica"
    this.master = master
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }
  get replicas(): ReadonlyArray<NodeState> {
    return this.cluster.members.filter((n) => n.role === "replica" && n.master === this)
  }
  get slots(): ReadonlyArray<readonly [number, number]> {
    return this.cluster.rangesOf(this)
  }
  get isDown(): boolean {
    return this.crashed
  }
  get isStalled(): boolean {
    return this.stalled
  }
  get connections(): number {
    return this.conns.size
  }
  /** The keyspace this node serves: its own, or its master's. */
  keyspace(): Store {
    return this.role === "replica" && this.master !== undefined ? this.master.store : this.store
  }
  get data(): ReadonlyMap<string, string> {
    const out = new Map<string, string>()
    for (const [k, v] of this.keyspace()) out.set(textOfKey(k), v.toString("utf8"))
    return out
  }
  get log(): ReadonlyArray<Api.LoggedCommand> {
    return this.entries.slice()
  }

  readonly received = (command?: string): ReadonlyArray<ReadonlyArray<string>> =>
    this.entries.filter((e) => command === undefined || entryMatches(e, command)).map((e) => e.args)

  record(connection: number, args: ReadonlyArray<Buffer>): void {
    const entry: Api.LoggedCommand = {
      node: this.address,
      connection,
      name: upper(args[0]),
      args: args.map((a) => a.toString("utf8"))
    }
    this.entries.push(entry)
    this.cluster.entries.push(entry)
  }

  readonly rule = (action: Api.Action, options?: Api.RuleOptions): Api.Rule => {
    const command = options?.command
    const names = command === undefined ? undefined : (typeof command === "string" ? [command] : command).map((c) => c.trim().toUpperCase())
    const rule = new RuleState(this, action, names, options?.when, options?.times ?? 1)
    if (rule.remaining > 0) this.rules.push(rule)
    return rule
  }

  readonly fail = (error: Api.ErrorCode | string, options?: Api.RuleOptions): Api.Rule =>
    this.rule({ _tag: "Error", message: error in errorLines ? errorLines[error as Api.ErrorCode] : error }, options)

  readonly reply = (reply: Reply, options?: Api.RuleOptions): Api.Rule => this.rule({ _tag: "Reply", reply }, options)

  readonly drop = (options?: Api.RuleOptions & { readonly execute?: boolean | undefined }): Api.Rule =>
    this.rule({ _tag: "Close", execute: options?.execute ?? true }, options)

  /** The rule that applies to this command (used up by one), if any. */
  match(args: ReadonlyArray<Buffer>, name: string): RuleState | undefined {
    if (this.rules.length === 0) return undefined
    const sub = upper(args[1])
    const data = dataCommands.get(name)
    const hasKeys = data !== undefined && args.length >= data.arity && data.keys(args).length > 0
    let text: ReadonlyArray<string> | undefined
    for (const rule of this.rules) {
      if (rule.names === undefined ? !hasKeys : !rule.names.some((n) => nameMatches(n, name, sub))) continue
      if (rule.when !== undefined && !rule.when(text ??= args.map((a) => a.toString("utf8")))) continue
      rule.hits++
      if (--rule.remaining <= 0) rule.cancel()
      return rule
    }
    return undefined
  }

  readonly closeConnections = (): void => {
    for (const c of Array.from(this.conns)) c.end(false)
  }
  readonly stall = (): void => {
    this.stalled = true
  }
  readonly release = (): void => {
    this.stalled = false
    for (const c of this.conns) c.resume()
  }
  readonly down = (): void => {
    this.crashed = true
    this.closeConnections()
  }
  readonly up = (): void => {
    this.crashed = false
  }
  readonly clearLog = (): void => {
    this.entries = []
  }
}

/**
 * Whether a logged command is `command` (`"GET"`, or `"CLUSTER SHARDS"` for a subcommand).
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const entryMatches = (e: Api.LoggedCommand, command: string): boolean =>
  nameMatches(command.trim().toUpperCase(), e.name, (e.args[1] ?? "").toUpperCase())
