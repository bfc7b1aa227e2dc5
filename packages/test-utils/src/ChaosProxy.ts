/**
 * A fault-injecting TCP proxy, in-process (Node `net` only: no Docker, no external binary), in the
 * spirit of toxiproxy. One proxy listens on `127.0.0.1` (a free port) and forwards every connection
 * to one upstream node; faults are injected and cleared at any time, each applying at once to the
 * connections already open and to every new one until cleared:
 *
 * - **`latency({ upstream, downstream })`**: every byte is delayed by the given time in its
 *   direction (client → node is `upstream`, node → client `downstream`). Order is kept; bytes
 *   already in flight keep the delay they entered with.
 * - **`bandwidth(bytesPerSecond)`**: each direction of each connection writes at most that many
 *   bytes per second (in slices of 50 ms worth), on top of any latency.
 * - **`blackhole`**: connections are accepted (and their upstream connection opened) but no byte
 *   moves in either direction and no socket is closed: a network partition. Bytes sent meanwhile
 *   are held, as TCP retransmissions would hold them, and delivered in order when the blackhole is
 *   cleared (a healed partition). Past 1 MiB held per direction, the proxy stops reading, so the
 *   sender's own socket buffers fill up.
 * - **`reset`**: every open connection is closed with an RST on both sides (the client sees
 *   `ECONNRESET`), and while the fault is set every new connection is accepted and reset at once
 *   (a node that crashes on connect). Inject and clear it at once for a one-shot reset.
 * - **`halfOpen`**: every open connection loses its upstream side (closed towards the node), while
 *   the client side stays open and hears nothing, no FIN, no RST: whatever the client sends is read
 *   and discarded, as a dead NAT entry or a peer that vanished would do. While the fault is set,
 *   new connections are accepted the same way, without upstream. Clearing it lets new connections
 *   through; the half-open ones stay half-open until the client closes them: detecting them is the
 *   client's job (keepalive, health pings, timeouts).
 *
 * Several faults combine (latency and bandwidth add up; `reset` wins over `halfOpen`, which wins
 * over the others). Every socket and the listener are closed when the proxy's scope closes.
 *
 * ```ts
 * const proxied = yield* ChaosProxy.forNodes((yield* fixture.nodes))
 * const redis = NodeRedisCluster.layer({
 *   startupNodes: proxied.startupNodes,
 *   hostPortRemap: proxied.hostPortRemap   // addresses the cluster announces → their proxies
 * })
 * yield* proxied.proxies[0]!.inject(ChaosProxy.blackhole)
 * yield* proxied.proxies[0]!.clear("Blackhole")
 * ```
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { ProxyCore } from "./internal/chaos/proxy.js"

// -----------------------------------------------------------------------------------------------
// Faults
// -----------------------------------------------------------------------------------------------

/**
 * Delay added to every byte, per direction, in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Latency {
  readonly _tag: "Latency"
  /** Client → node. */
  readonly upstreamMillis: number
  /** Node → client. */
  readonly downstreamMillis: number
}

/**
 * A bandwidth limit for each direction of each connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bandwidth {
  readonly _tag: "Bandwidth"
  readonly bytesPerSecond: number
}

/**
 * Nothing moves, nothing closes (see the module documentation).
 *
 * @since 0.1.0
 * @category models
 */
export interface Blackhole {
  readonly _tag: "Blackhole"
}

/**
 * Open connections reset with RST; new ones reset on accept while set.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reset {
  readonly _tag: "Reset"
}

/**
 * Open connections lose their upstream side and go silent towards the client; new ones are
 * accepted that way while set.
 *
 * @since 0.1.0
 * @category models
 */
export interface HalfOpen {
  readonly _tag: "HalfOpen"
}

/**
 * A fault a proxy can inject.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = Latency | Bandwidth | Blackhole | Reset | HalfOpen

/**
 * The kinds of fault, as named by `_tag`.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultKind = Fault["_tag"]

/**
 * Every kind of fault.
 *
 * @since 0.1.0
 * @category constants
 */
export const faultKinds: ReadonlyArray<FaultKind> = ["Latency", "Bandwidth", "Blackhole", "Reset", "HalfOpen"]

/**
 * Added latency; a direction left out gets none.
 *
 * @since 0.1.0
 * @category constructors
 */
export const latency = (options: {
  readonly upstream?: Duration.Input | undefined
  readonly downstream?: Duration.Input | undefined
}): Latency => ({
  _tag: "Latency",
  upstreamMillis: options.upstream === undefined ? 0 : Duration.toMillis(options.upstream),
  downstreamMillis: options.downstream === undefined ? 0 : Duration.toMillis(options.downstream)
})

/**
 * A bandwidth limit, in bytes per second, for each direction of each connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bandwidth = (bytesPerSecond: number): Bandwidth => ({ _tag: "Bandwidth", bytesPerSecond })

/**
 * The blackhole fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const blackhole: Blackhole = { _tag: "Blackhole" }

/**
 * The reset fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reset: Reset = { _tag: "Reset" }

/**
 * The half-open fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const halfOpen: HalfOpen = { _tag: "HalfOpen" }

// -----------------------------------------------------------------------------------------------
// The proxy
// -----------------------------------------------------------------------------------------------

/**
 * A proxy could not start (its port is taken...), or a fault was invalid.
 *
 * @since 0.1.0
 * @category errors
 */
export class ChaosProxyError extends Data.TaggedError("ChaosProxyError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A host and port.
 *
 * @since 0.1.0
 * @category models
 */
export interface Address {
  readonly host: string
  readonly port: number
}

/**
 * What a proxy carried so far, and what it holds now.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Connections accepted (reset ones included). */
  readonly accepted: number
  /** Client connections open now (half-open ones included). */
  readonly open: number
  /** Client connections open now without upstream (cut by `halfOpen`). */
  readonly halfOpen: number
  /** Connections reset by the `reset` fault (open ones and new ones). */
  readonly resets: number
  /** Connections cut by the `halfOpen` fault. */
  readonly halfOpened: number
  /** Bytes forwarded from clients to the node. */
  readonly bytesUp: number
  /** Bytes forwarded from the node to clients. */
  readonly bytesDown: number
  /** Bytes held or delayed now (both directions): 0 once every delivery is done. */
  readonly queuedBytes: number
  /** Bytes clients sent into half-open connections (never delivered). */
  readonly discardedBytes: number
}

/**
 * A running proxy.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChaosProxy {
  readonly host: "127.0.0.1"
  /** The port it listens on. */
  readonly port: number
  /** Where it forwards to. */
  readonly upstream: Address
  /**
   * Sets a fault (replacing one of the same kind). Fails with `ChaosProxyError` when its values
   * are invalid (a negative or non-finite latency, a bandwidth that is not a positive number).
   */
  readonly inject: (fault: Fault) => Effect.Effect<void, ChaosProxyError>
  /** Clears one kind of fault, or every fault. Held bytes are then delivered (see each fault). */
  readonly clear: (kind?: FaultKind) => Effect.Effect<void>
  /** The faults in force now. */
  readonly faults: Effect.Effect<ReadonlyArray<Fault>>
  /** Counters and the bytes held now. */
  readonly stats: Effect.Effect<Stats>
}

const validate = (fault: Fault): string | undefined => {
  const okMillis = (n: number) => Number.isFinite(n) && n >= 0
  switch (fault._tag) {
    case "Latency":
      return okMillis(fault.upstreamMillis) && okMillis(fault.downstreamMillis)
        ? undefined
        : `latency must be finite and >= 0, got ${fault.upstreamMillis} ms up, ${fault.downstreamMillis} ms down`
    case "Bandwidth":
      return Number.isFinite(fault.bytesPerSecond) && fault.bytesPerSecond > 0
        ? undefined
        : `bandwidth must be a positive number of bytes per second, got ${fault.bytesPerSecond}`
    default:
      return undefined
  }
}

const faultsOf = (core: ProxyCore): ReadonlyArray<Fault> => {
  const f = core.faults
  const out: Array<Fault> = []
  if (f.latencyUpMillis > 0 || f.latencyDownMillis > 0) {
    out.push({ _tag: "Latency", upstreamMillis: f.latencyUpMillis, downstreamMillis: f.latencyDownMillis })
  }
  if (f.bytesPerSecond !== undefined) out.push({ _tag: "Bandwidth", bytesPerSecond: f.bytesPerSecond })
  if (f.blackhole) out.push(blackhole)
  if (f.reset) out.push(reset)
  if (f.halfOpen) out.push(halfOpen)
  return out
}

const setFault = (core: ProxyCore, fault: Fault): void => {
  const f = core.faults
  switch (fault._tag) {
    case "Latency":
      f.latencyUpMillis = fault.upstreamMillis
      f.latencyDownMillis = fault.downstreamMillis
      break
    case "Bandwidth":
      f.bytesPerSecond = fault.bytesPerSecond
      break
    case "Blackhole":
      f.blackhole = true
      break
    case "Reset":
      f.reset = true
      break
    case "HalfOpen":
      f.halfOpen = true
      break
  }
}

const clearFault = (core: ProxyCore, kind: FaultKind): void => {
  const f = core.faults
  switch (kind) {
    case "Latency":
      f.latencyUpMillis = 0
      f.latencyDownMillis = 0
      break
    case "Bandwidth":
      f.bytesPerSecond = undefined
      break
    case "Blackhole":
      f.blackhole = false
      break
    case "Reset":
      f.reset = false
      break
    case "HalfOpen":
      f.halfOpen = false
      break
  }
}

/**
 * Starts a proxy to `upstream` on `127.0.0.1` (port `listenPort`, default a free one chosen by the
 * OS), living in the current scope: closing the scope destroys every connection it carries and
 * closes its listener.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  upstream: Address,
  options: { readonly listenPort?: number | undefined } = {}
): Effect.Effect<ChaosProxy, ChaosProxyError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<ProxyCore, ChaosProxyError>((resume) => {
      const core = new ProxyCore(upstream.host, upstream.port)
      core.server.once("error", (cause) =>
        resume(Effect.fail(new ChaosProxyError({ message: `proxy to ${upstream.host}:${upstream.port} could not listen: ${cause.message}`, cause }))))
      core.server.listen(options.listenPort ?? 0, "127.0.0.1", () => resume(Effect.succeed(core)))
      // Interrupted before listening: nothing is carried yet, only the listener to close.
      return Effect.sync(() => core.close(() => {}))
    }),
    (core) => Effect.callback<void>((resume) => core.close(() => resume(Effect.void)))
  ).pipe(Effect.map((core): ChaosProxy => {
    const address = core.server.address()
    const port = address !== null && typeof address === "object" ? address.port : 0
    return {
      host: "127.0.0.1",
      port,
      upstream: { host: upstream.host, port: upstream.port },
      inject: (fault) =>
        Effect.suspend(() => {
          const invalid = validate(fault)
          if (invalid !== undefined) return Effect.fail(new ChaosProxyError({ message: invalid }))
          setFault(core, fault)
          core.apply()
          return Effect.void
        }),
      clear: (kind) =>
        Effect.sync(() => {
          for (const k of kind === undefined ? faultKinds : [kind]) clearFault(core, k)
          core.apply()
        }),
      faults: Effect.sync(() => faultsOf(core)),
      stats: Effect.sync((): Stats => {
        const { open, halfOpen } = core.openLinks()
        return { ...core.counters, open, halfOpen, queuedBytes: core.queuedBytes() }
      })
    }
  }))

// -----------------------------------------------------------------------------------------------
// A proxy per node
// -----------------------------------------------------------------------------------------------

/**
 * One `hostPortRemap` rule (the shape of `@keyslot/core`'s `HostPortRemapRule`): the node's
 * port, whatever host it is announced with, goes to its proxy.
 *
 * @since 0.1.0
 * @category models
 */
export interface RemapRule {
  readonly from: { readonly port: number }
  readonly to: { readonly host: string; readonly port: number }
}

/**
 * A proxy in front of every node of a cluster.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProxiedCluster {
  /** One proxy per node, in the order the nodes were given. */
  readonly proxies: ReadonlyArray<ChaosProxy>
  /** The proxy in front of the node listening on `nodePort`. */
  readonly proxyFor: (nodePort: number) => Option.Option<ChaosProxy>
  /** The proxies' addresses, to use as a client's seed nodes. */
  readonly startupNodes: ReadonlyArray<Address>
  /**
   * For a client's `hostPortRemap`: every address the cluster announces (in `CLUSTER SHARDS`,
   * `MOVED`, `ASK`) is turned into its proxy's, so no connection bypasses the proxies. Matched on
   * the port only, so announced hostnames are covered too.
   */
  readonly hostPortRemap: ReadonlyArray<RemapRule>
  /** Clears every fault on every proxy. */
  readonly clearAll: Effect.Effect<void>
  /** Sum of `queuedBytes` over the proxies: 0 once everything held or delayed was delivered. */
  readonly queuedBytes: Effect.Effect<number>
}

/**
 * Starts one proxy per node (nodes on loopback or elsewhere), living in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const forNodes = (
  nodes: ReadonlyArray<Address>
): Effect.Effect<ProxiedCluster, ChaosProxyError, Scope.Scope> =>
  Effect.map(Effect.forEach(nodes, (node) => make(node)), (proxies): ProxiedCluster => {
    const byPort = new Map(proxies.map((p) => [p.upstream.port, p] as const))
    return {
      proxies,
      proxyFor: (nodePort) => Option.fromNullishOr(byPort.get(nodePort)),
      startupNodes: proxies.map((p) => ({ host: p.host, port: p.port })),
      hostPortRemap: proxies.map((p) => ({ from: { port: p.upstream.port }, to: { host: p.host, port: p.port } })),
      clearAll: Effect.forEach(proxies, (p) => p.clear(), { discard: true }),
      queuedBytes: Effect.map(Effect.forEach(proxies, (p) => p.stats), (all) => all.reduce((n, s) => n + s.queuedBytes, 0))
    }
  })
