/**
 * One connection to one node, as a scoped resource: handshake, multiplexed pipelining, writes
 * coalesced into one per batch, replies matched in order, timeouts swept per connection.
 *
 * The per-command path is one `Effect.callback` resumed from the socket's data handler: no Deferred,
 * Queue, fork or timer per command (see DESIGN.md, speed rules).
 *
 * A connection opened with `subscriber: true` is for pub/sub only: pub/sub frames (RESP3 pushes,
 * and the plain arrays a RESP2 subscribed connection receives) go to `onPush`, and
 * `sendNoReply` writes the (un)subscribe commands whose confirmations arrive that way. It has its
 * own data handler, so normal connections pay nothing for it.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Exit, Redacted } from "effect"
import type { Scope } from "effect"
import * as ClusterError from "./ClusterError.js"
import { Connector } from "./Connector.js"
import type { Endpoint, TlsOptions, Transport } from "./Connector.js"
import * as Deadline from "./internal/deadline.js"
import { failureOf } from "./internal/wire/exit.js"
import { Fifo } from "./internal/wire/queue.js"
import { kindOf } from "./internal/wire/pubsubFrames.js"
import * as Resp from "./Resp.js"

/**
 * The errors one command on one connection can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type CommandError =
  | ClusterError.ReplyFailure
  | ClusterError.ConnectionError
  | ClusterError.ProtocolError
  | ClusterError.TimeoutError

/**
 * The errors opening a connection can fail with (the handshake's error replies included).
 *
 * @since 0.1.0
 * @category errors
 */
export type ConnectError =
  | ClusterError.ConnectionError
  | ClusterError.TimeoutError
  | ClusterError.ReplyFailure
  | ClusterError.ProtocolError

/**
 * Options of one node connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeConnectionOptions extends Endpoint {
  readonly tls?: boolean | TlsOptions | undefined
  /** Deadline for socket open plus handshake. Default 10 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** Deadline of each command, from the moment it is queued. Default: none. */
  readonly commandTimeout?: Duration.Input | undefined
  /** RESP version: 3 (default; falls back to 2 when the server refuses HELLO 3) or 2. */
  readonly protocol?: 2 | 3 | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Sent with `CLIENT SETNAME` (or inside HELLO). */
  readonly clientName?: string | undefined
  /** Send `READONLY` after the handshake (replica reads). */
  readonly readOnly?: boolean | undefined
  /** Receives out-of-band push frames (RESP3 `>`): pub/sub messages, invalidations. */
  readonly onPush?: ((push: Resp.Push) => void) | undefined
  /**
   * Subscriber mode, for a connection dedicated to pub/sub. Frames whose first element is
   * `message`, `pmessage`, `smessage`, `subscribe`, `psubscribe`, `ssubscribe`, `unsubscribe`,
   * `punsubscribe` or `sunsubscribe` go to `onPush` as `Resp.Push`, in RESP3 (push frames) and in
   * RESP2 (plain arrays) alike; everything received after the handshake, pushes and replies, is
   * decoded as bytes (`Uint8Array` strings). Other replies (`PING`: `PONG` in RESP3, `["pong", ""]`
   * in RESP2) answer `send` as usual. Default `false`.
   */
  readonly subscriber?: boolean | undefined
  /** Bounds of the reply decoder. */
  readonly decoder?: Resp.DecoderOptions | undefined
}

/**
 * A live, multiplexed connection to one node.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeConnection {
  readonly endpoint: Endpoint
  /** The RESP version agreed in the handshake. */
  readonly protocol: 2 | 3
  /**
   * Send one command and wait for its reply. Error replies fail with their typed error; the
   * connection stays usable. `bytes` decodes the reply's strings as `Uint8Array`.
   * `timeoutMillis` overrides the connection's `commandTimeout` (0 = no deadline). `asking` sends
   * `ASKING` right before the command, with nothing from other fibers in between.
   */
  readonly send: (
    args: ReadonlyArray<Resp.RespArg>,
    bytes?: boolean,
    timeoutMillis?: number,
    asking?: boolean
  ) => Effect.Effect<Resp.RespValue, CommandError>
  /**
   * Send several commands in one go: they are queued back to back (no other fiber's command lands
   * between them, which MULTI/EXEC relies on) and the Effect completes once every reply arrived,
   * with one `Exit` per command in order. Interrupting it drops the replies in order.
   */
  readonly sendBatch: (
    requests: ReadonlyArray<BatchRequest>,
    timeoutMillis?: number
  ) => Effect.Effect<ReadonlyArray<Exit.Exit<Resp.RespValue, CommandError>>>
  /**
   * Subscriber mode only: writes a `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` or matching
   * `UNSUBSCRIBE` command (at least one channel) and returns at once. Its confirmations, one per
   * channel, arrive through `onPush`; if the server answers an error instead (`MOVED`,
   * `CROSSSLOT`, `NOPERM`...), `onError` gets it, and also a `ConnectionError` when the connection
   * is lost before all confirmations arrived. On a normal connection this dies (a defect).
   */
  readonly sendNoReply: (
    args: ReadonlyArray<Resp.RespArg>,
    onError?: ((error: CommandError) => void) | undefined
  ) => Effect.Effect<void>
  /** `false` once the connection is lost or closed; then every `send` fails with `ConnectionError`. */
  readonly isOpen: () => boolean
  /** Commands queued or written and not yet answered. */
  readonly pending: () => number
  /** Waits until the connection is dead and gives the reason. */
  readonly closed: Effect.Effect<ClusterError.ConnectionError | ClusterError.ProtocolError>
}

/**
 * One command of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchRequest {
  readonly args: ReadonlyArray<Resp.RespArg>
  /** Decode the reply's strings as bytes. */
  readonly bytes?: boolean | undefined
  /** Send `ASKING` right before it. */
  readonly asking?: boolean | undefined
}

const commandName = (args: ReadonlyArray<Resp.RespArg>): string => {
  const first = args[0]
  if (first === undefined) return ""
  return typeof first === "string" ? first.toUpperCase() : String(first)
}

type Resume = (exit: Exit.Exit<Resp.RespValue, CommandError>) => void

// ASKING's own reply: the command after it reports what matters.
const ignoreReply: Resume = () => {}
const askingArgs: ReadonlyArray<Resp.RespArg> = ["ASKING"]

/** A command between `send` and its reply. Monomorphic on purpose: it is allocated per command. */
class Pending {
  resume: Resume | undefined
  written = false
  /**
   * When its `timeout` runs out (0: none). Stamped once per batch when the batch is written, or by
   * the sweeper if it is still queued: one clock read per batch, not per command, and the sweeper
   * honours deadlines only within a tenth of the timeout anyway.
   */
  deadline = 0
  constructor(
    readonly args: ReadonlyArray<Resp.RespArg>,
    readonly bytes: boolean,
    readonly timeout: number,
    resume: Resume,
    /** `ASKING` goes right before it, written only with it (a stray ASKING would apply to the next command). */
    readonly asking: boolean
  ) {
    this.resume = resume
  }
}

/** A subscriber-mode command waiting for its confirmation pushes. */
interface Expecting {
  /** The confirmation's kind (`internal/subscriber` codes): that of the command's name. */
  readonly kind: number
  /** Confirmations still to come. */
  left: number
}

/** A RESP2 pub/sub frame (a plain array led by a pub/sub kind) as a `Push`; otherwise undefined. */
const pubsubFrame = (value: Resp.RespValue): Resp.Push | undefined => {
  if (!Array.isArray(value) || value.length < 2) return undefined
  const values = value as ReadonlyArray<Resp.RespValue>
  return kindOf(values[0]) !== 0 ? new Resp.Push(values) : undefined
}

/** How many sockets' data handlers are running right now (they nest only through user code). */
let readingReplies = 0
/** Commands written on any connection and not answered yet: other replies this poll phase may bring. */
let awaitingReplies = 0

/** Connection state shared by the send path, the data handler and the sweeper. */
class Machine {
  readonly outbox = new Fifo<Pending>()
  readonly inflight = new Fifo<Pending>()
  readonly writer = new Resp.CommandWriter()
  readonly decoder: Resp.Decoder
  flushScheduled = false
  dead: ClusterError.ConnectionError | ClusterError.ProtocolError | undefined = undefined
  readonly deathWaiters: Array<(e: ClusterError.ConnectionError | ClusterError.ProtocolError) => void> = []
  sweeper: ReturnType<typeof setInterval> | undefined = undefined
  protocol: 2 | 3 = 2
  readonly flushNow = () => this.flush()
  /** Subscriber mode: decode everything as bytes (set once the handshake is done). */
  pushBytes = false
  /** Subscriber mode: the (un)subscribe commands still waiting for confirmations. */
  readonly expecting = new Map<Pending, Expecting>()

  constructor(
    readonly host: string,
    readonly port: number,
    readonly transport: Transport,
    readonly defaultTimeout: number,
    readonly onPush: ((push: Resp.Push) => void) | undefined,
    decoderOptions: Resp.DecoderOptions | undefined
  ) {
    this.decoder = new Resp.Decoder(transport.transientChunks === true ? { ...decoderOptions, transientChunks: true } : decoderOptions)
  }

  enqueue(args: ReadonlyArray<Resp.RespArg>, bytes: boolean, timeoutMillis: number | undefined, asking: boolean, resume: Resume): Pending | undefined {
    if (this.dead !== undefined) {
      resume(Exit.fail(this.lostError(args, false)))
      return undefined
    }
    const timeout = timeoutMillis ?? this.defaultTimeout
    const pending = new Pending(args, bytes, timeout, resume, asking)
    this.outbox.push(pending)
    // Its period follows the connection's own timeout, not a retry's leftover few milliseconds.
    if (timeout > 0 && this.sweeper === undefined) this.startSweeper(this.defaultTimeout > 0 ? this.defaultTimeout : timeout)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      // One socket write per batch. A command queued by a fiber that a reply resumed (Effect 4
      // runs it inside the data handler) waits for the end of this poll phase: the other sockets'
      // replies of the same turn queue theirs too, and the batch goes out in one write per node
      // (100 workers on 3 nodes: 18 instead of 12 commands per write). Anything else is written
      // on a microtask, with no event-loop turn lost (bench/README.md).
      // With no other reply awaited (a serial caller), waiting for the poll phase only adds latency.
      if (readingReplies > 0 && awaitingReplies > 0) setImmediate(this.flushNow)
      else queueMicrotask(this.flushNow)
    }
    return pending
  }

  flush(): void {
    this.flushScheduled = false
    if (this.dead !== undefined) return
    const outbox = this.outbox
    let now = 0
    let pending: Pending | undefined
    while ((pending = outbox.shift()) !== undefined) {
      // Interrupted or timed out before it was written: never sent, no reply to wait for.
      if (pending.resume === undefined) continue
      if (pending.timeout > 0 && pending.deadline === 0) pending.deadline = (now ||= Deadline.now()) + pending.timeout
      if (pending.asking) {
        this.writer.push(askingArgs)
        this.inflight.push(new Pending(askingArgs, false, 0, ignoreReply, false))
        awaitingReplies++
      }
      this.writer.push(pending.args)
      pending.written = true
      this.inflight.push(pending)
      awaitingReplies++
      // Big batches go out in slices instead of one giant buffer.
      if (this.writer.length >= 1 << 20) this.transport.write(this.writer.take())
    }
    if (this.writer.length > 0) this.transport.write(this.writer.take())
  }

  onData(chunk: Uint8Array): void {
    if (this.dead !== undefined) return
    const decoder = this.decoder
    decoder.feed(chunk)
    while (true) {
      const head = this.inflight.peek()
      const value = decoder.next(head !== undefined && head.bytes)
      if (value === undefined) return
      if (value instanceof Resp.DecodeFailure) {
        return this.kill(new ClusterError.ProtocolError({ host: this.host, port: this.port, reason: value.reason }))
      }
      if (value instanceof Resp.Push) {
        if (this.onPush !== undefined) this.onPush(value)
        continue
      }
      if (head === undefined) {
        return this.kill(
          new ClusterError.ProtocolError({ host: this.host, port: this.port, reason: "reply received with no command waiting for it" })
        )
      }
      this.shiftInflight()
      const resume = head.resume
      if (resume === undefined) continue // its caller was interrupted or timed out; the reply keeps the order
      head.resume = undefined
      if (value instanceof Resp.ErrorReply) {
        resume(Exit.fail(ClusterError.fromReply(value.message, { host: this.host, port: this.port, command: commandName(head.args) })))
      } else {
        resume(Exit.succeed(value))
      }
      // Effect 4 runs the resumed fiber right here: it may have closed this connection.
      if (this.dead !== undefined) return
    }
  }

  /**
   * The data handler of subscriber mode: pub/sub frames to `onPush` (counting the confirmations of
   * the command at the head), other values answer commands in order.
   */
  onSubscriberData(chunk: Uint8Array): void {
    if (this.dead !== undefined) return
    const decoder = this.decoder
    decoder.feed(chunk)
    while (true) {
      let head = this.inflight.peek()
      const value = decoder.next(this.pushBytes || (head !== undefined && head.bytes))
      if (value === undefined) return
      if (value instanceof Resp.DecodeFailure) {
        return this.kill(new ClusterError.ProtocolError({ host: this.host, port: this.port, reason: value.reason }))
      }
      const push = value instanceof Resp.Push ? value : pubsubFrame(value)
      if (push !== undefined) {
        if (head !== undefined) {
          const expecting = this.expecting.get(head)
          // In order: the head's confirmations come before any later command's reply. A push of
          // another kind (a message, a `sunsubscribe` the server sent by itself) is not one.
          if (expecting !== undefined && kindOf(push.values[0]) === expecting.kind && --expecting.left === 0) {
            this.expecting.delete(head)
            this.shiftInflight()
            head.resume = undefined
          }
        }
        if (this.onPush !== undefined) this.onPush(push)
        continue
      }
      // An (un)subscribe command has no direct reply unless it failed: one at the head that gets
      // a non-error reply must have been confirmed already (miscounted), so it is done.
      while (head !== undefined && !(value instanceof Resp.ErrorReply) && this.expecting.delete(head)) {
        this.shiftInflight()
        head.resume = undefined
        head = this.inflight.peek()
      }
      if (head === undefined) {
        return this.kill(
          new ClusterError.ProtocolError({ host: this.host, port: this.port, reason: "reply received with no command waiting for it" })
        )
      }
      this.shiftInflight()
      this.expecting.delete(head)
      const resume = head.resume
      if (resume === undefined) continue
      head.resume = undefined
      if (value instanceof Resp.ErrorReply) {
        resume(Exit.fail(ClusterError.fromReply(value.message, { host: this.host, port: this.port, command: commandName(head.args) })))
      } else {
        resume(Exit.succeed(value))
      }
      if (this.dead !== undefined) return
    }
  }

  shiftInflight(): void {
    this.inflight.shift()
    awaitingReplies--
  }

  lostError(args: ReadonlyArray<Resp.RespArg>, written: boolean): ClusterError.ConnectionError {
    const reason = this.dead === undefined ? "connection closed" : this.dead._tag === "ProtocolError"
      ? `closed after a protocol error: ${this.dead.reason}`
      : this.dead.reason
    return new ClusterError.ConnectionError({
      host: this.host,
      port: this.port,
      command: commandName(args),
      written,
      reason,
      cause: this.dead
    })
  }

  /** Marks the connection dead, closes the socket and fails every command still waiting. */
  kill(reason: ClusterError.ConnectionError | ClusterError.ProtocolError): void {
    if (this.dead !== undefined) return
    this.dead = reason
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    this.transport.close()
    awaitingReplies -= this.inflight.length
    for (const p of this.inflight.drain()) this.fail(p, true)
    for (const p of this.outbox.drain()) this.fail(p, false)
    for (const waiter of this.deathWaiters.splice(0)) waiter(reason)
  }

  private fail(p: Pending, written: boolean): void {
    const resume = p.resume
    if (resume === undefined) return
    p.resume = undefined
    const dead = this.dead
    // Written commands of a connection that sent garbage: their replies are unknowable, and
    // retrying on a node that speaks garbage helps nobody.
    if (written && dead !== undefined && dead._tag === "ProtocolError") {
      resume(Exit.fail(new ClusterError.ProtocolError({ host: this.host, port: this.port, command: commandName(p.args), reason: dead.reason })))
    } else {
      resume(Exit.fail(this.lostError(p.args, written)))
    }
  }

  sweep(): void {
    const now = Deadline.now()
    const expire = (p: Pending) => {
      if (p.timeout > 0 && p.deadline === 0) p.deadline = now + p.timeout
      else if (p.resume !== undefined && p.deadline !== 0 && now >= p.deadline) {
        const resume = p.resume
        p.resume = undefined
        resume(Exit.fail(new ClusterError.TimeoutError({
          host: this.host,
          port: this.port,
          command: commandName(p.args),
          timeoutMillis: p.timeout
        })))
      }
    }
    this.inflight.forEach(expire)
    this.outbox.forEach(expire)
  }

  /** One timer per connection, not per command; a deadline is honoured within a tenth of it. */
  startSweeper(timeout: number): void {
    const period = Math.min(1000, Math.max(5, Math.floor(timeout / 10)))
    this.sweeper = setInterval(() => this.sweep(), period)
    this.sweeper.unref()
  }

  pendingCount(): number {
    return this.inflight.length + this.outbox.length
  }
}

const toMillis = (d: Duration.Input | undefined): number =>
  d === undefined ? 0 : Duration.toMillis(Duration.fromInputUnsafe(d))

// The canceler drops an interrupted command that was not written yet: it is never sent (on
// Effect 3 a canceler doubled the cost per command, so interrupted commands were written anyway;
// on Effect 4 it costs ~0.1-0.3 us, bench/README.md). A written one's reply goes by in order.
const send = (machine: Machine, args: ReadonlyArray<Resp.RespArg>, bytes: boolean, timeoutMillis: number | undefined, asking: boolean) =>
  Effect.callback<Resp.RespValue, CommandError>((resume) => {
    const pending = machine.enqueue(args, bytes, timeoutMillis, asking, resume)
    if (pending !== undefined) return cancelOf(pending)
  })

const cancelOf = (pending: Pending): Effect.Effect<void> =>
  Effect.sync(() => {
    pending.resume = undefined
  })

const sendBatch = (machine: Machine, requests: ReadonlyArray<BatchRequest>, timeoutMillis: number | undefined) =>
  Effect.callback<ReadonlyArray<Exit.Exit<Resp.RespValue, CommandError>>>((resume) => {
    const n = requests.length
    const results = new Array<Exit.Exit<Resp.RespValue, CommandError>>(n)
    if (n === 0) return resume(Effect.succeed(results))
    let left = n
    const pendings = new Array<Pending | undefined>(n)
    for (let i = 0; i < n; i++) {
      const r = requests[i]!
      pendings[i] = machine.enqueue(r.args, r.bytes === true, timeoutMillis, r.asking === true, (exit) => {
        results[i] = exit
        if (--left === 0) resume(Effect.succeed(results))
      })
    }
    return Effect.sync(() => {
      for (const p of pendings) if (p !== undefined) p.resume = undefined
    })
  })

const sendNoReply = (
  machine: Machine,
  args: ReadonlyArray<Resp.RespArg>,
  onError: ((error: CommandError) => void) | undefined
) =>
  Effect.sync(() => {
    const kind = kindOf(commandName(args).toLowerCase())
    const pending = machine.enqueue(args, false, 0, false, (exit) => {
      const error = onError === undefined ? undefined : failureOf(exit)
      if (error !== undefined) onError!(error)
    })
    if (pending !== undefined) machine.expecting.set(pending, { kind, left: Math.max(1, args.length - 1) })
  })

const isUnknownCommand = (e: ClusterError.ReplyFailure): boolean =>
  e._tag === "ReplyError" && /unknown command/i.test(e.reply)

const handshake = Effect.fnUntraced(function*(machine: Machine, options: NodeConnectionOptions) {
  const run = (args: ReadonlyArray<Resp.RespArg>) => send(machine, args, false, 0, false)
  const auth: Array<string> = options.password === undefined
    ? []
    : ["AUTH", options.username ?? "default", Redacted.value(options.password)]
  let protocol: 2 | 3 = 2
  if ((options.protocol ?? 3) === 3) {
    const name: Array<string> = options.clientName === undefined ? [] : ["SETNAME", options.clientName]
    const hello = yield* run(["HELLO", "3", ...auth, ...name]).pipe(
      Effect.map(() => true),
      // NOPROTO: the server speaks RESP2 only; unknown command: older than Redis 6.
      Effect.catchIf(
        (e): e is ClusterError.ReplyError => e._tag === "ReplyError" && (e.code === "NOPROTO" || isUnknownCommand(e)),
        () => Effect.succeed(false)
      )
    )
    if (hello) protocol = 3
  }
  if (protocol === 2) {
    if (options.password !== undefined) {
      yield* run(options.username === undefined ? ["AUTH", Redacted.value(options.password)] : auth)
    }
    if (options.clientName !== undefined) yield* run(["CLIENT", "SETNAME", options.clientName])
  }
  if (options.readOnly === true) yield* run(["READONLY"])
  machine.protocol = protocol
})

/**
 * Opens a connection to one node and performs the handshake (`HELLO 3` with `AUTH` and `SETNAME`,
 * falling back to RESP2; optional `READONLY`). The connection closes when the scope closes; commands
 * still waiting then fail with `ConnectionError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: NodeConnectionOptions): Effect.Effect<NodeConnection, ConnectError, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const connector = yield* Connector
    const connectTimeout = toMillis(options.connectTimeout ?? Duration.seconds(10))
    const endpoint: Endpoint = { host: options.host, port: options.port }
    const open = Effect.gen(function*() {
      const transport = yield* connector.connect(endpoint, {
        tls: options.tls,
        connectTimeout: Duration.millis(connectTimeout)
      })
      const machine = new Machine(options.host, options.port, transport, toMillis(options.commandTimeout), options.onPush, options.decoder)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => machine.kill(new ClusterError.ConnectionError({ host: options.host, port: options.port, reason: "connection closed by the client" })))
      )
      const subscriber = options.subscriber === true
      // With transient chunks the decoder copies what it still needs before the reader reuses
      // the buffer, whatever happened while replies were handed out.
      const onData = subscriber
        ? (chunk: Uint8Array) => {
          try {
            machine.onSubscriberData(chunk)
          } finally {
            machine.decoder.release()
          }
        }
        : (chunk: Uint8Array) => {
          readingReplies++
          try {
            machine.onData(chunk)
          } finally {
            readingReplies--
            machine.decoder.release()
          }
        }
      yield* transport.run(onData).pipe(
        Effect.match({
          onFailure: (error) => machine.kill(error),
          onSuccess: () => machine.kill(new ClusterError.ConnectionError({ host: options.host, port: options.port, reason: "connection closed by the server" }))
        }),
        Effect.forkScoped
      )
      yield* handshake(machine, options)
      machine.pushBytes = subscriber
      return machine
    })
    const machine = yield* open.pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(connectTimeout),
        orElse: () =>
          Effect.fail(new ClusterError.TimeoutError({ host: options.host, port: options.port, command: "CONNECT", timeoutMillis: connectTimeout }))
      })
    )
    const connection: NodeConnection = {
      endpoint,
      protocol: machine.protocol,
      send: (args, bytes = false, timeoutMillis, asking = false) => send(machine, args, bytes, timeoutMillis, asking),
      sendBatch: (requests, timeoutMillis) => sendBatch(machine, requests, timeoutMillis),
      sendNoReply: options.subscriber === true
        ? (args, onError) => sendNoReply(machine, args, onError)
        : () => Effect.die(new Error("NodeConnection.sendNoReply needs a connection opened with subscriber: true")),
      isOpen: () => machine.dead === undefined,
      pending: () => machine.pendingCount(),
      closed: Effect.callback<ClusterError.ConnectionError | ClusterError.ProtocolError>((resume) => {
        if (machine.dead !== undefined) return resume(Effect.succeed(machine.dead))
        const waiter = (e: ClusterError.ConnectionError | ClusterError.ProtocolError) => resume(Effect.succeed(e))
        machine.deathWaiters.push(waiter)
        return Effect.sync(() => {
          const i = machine.deathWaiters.indexOf(waiter)
          if (i !== -1) machine.deathWaiters.splice(i, 1)
        })
      })
    }
    return connection
  })
