/**
 * The engine of one node connection (see `NodeConnection`): commands queued and written in
 * batches, replies matched in order, deadlines swept per connection, backpressure, and the
 * per-command `Effect.callback`s. The per-command path lives here; `NodeConnection.make` opens the
 * transport, runs the handshake and hands out the public interface.
 *
 * @internal
 */
import { Effect, Exit } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Transport } from "../../Connector.js"
import type { BatchRequest, CommandError, NoReplyError } from "../../NodeConnection.js"
import * as Resp from "../../Resp.js"
import * as Deadline from "../deadline.js"
import { failureOf } from "../wire/exit.js"
import { kindOf } from "../wire/pubsubFrames.js"
import { Fifo } from "../wire/queue.js"

/**
 * Written commands in a row that time out with nothing received from the node while they waited,
 * before the connection is closed as stuck. More than one, so that one slow command (a long script,
 * `DEBUG SLEEP`) does not cost its neighbours their connection.
 */
const SILENT_TIMEOUTS_TO_CLOSE = 3

/** The command's name for error messages, from its first argument (computed only when failing). */
const nameOf = (first: Resp.RespArg | undefined): string => {
  if (first === undefined) return ""
  return typeof first === "string" ? first.toUpperCase() : String(first)
}

const commandName = (args: ReadonlyArray<Resp.RespArg>): string => nameOf(args[0])

/** Called with the outcome and the command's `index` (its place in a batch: one closure per batch). */
type Resume = (exit: Exit.Exit<Resp.RespValue, CommandError>, index: number) => void

// ASKING's own reply: the command after it reports what matters.
const ignoreReply: Resume = () => {}
const askingArgs: ReadonlyArray<Resp.RespArg> = ["ASKING"]

/** A command between `send` and its reply. Monomorphic on purpose: it is allocated per command. */
class Pending {
  resume: Resume | undefined
  /**
   * Its arguments until they are written, or until it is dropped unwritten: a reply may never come
   * (a stuck node), and a 1 KB value must not wait for it. Errors need only `name`.
   */
  args: ReadonlyArray<Resp.RespArg> | undefined
  /** Its first argument, the command's name (a reference, not a string built per command). */
  readonly name: Resp.RespArg | undefined
  written = false
  /**
   * When its `timeout` runs out (0: none). Stamped once per batch when the batch is written, or by
   * the sweeper if it is still queued: one clock read per batch, not per command, and the sweeper
   * honours deadlines only within a tenth of the timeout anyway.
   */
  deadline = 0
  constructor(
    args: ReadonlyArray<Resp.RespArg>,
    readonly bytes: boolean,
    readonly timeout: number,
    resume: Resume,
    /** `ASKING` goes right before it, written only with it (a stray ASKING would apply to the next command). */
    readonly asking: boolean,
    /** Its place in its batch, handed back to `resume`. */
    readonly index: number
  ) {
    this.resume = resume
    this.args = args
    this.name = args[0]
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

/**
 * Connection state shared by the send path, the data handler and the sweeper.
 *
 * @since 0.1.0
 * @category models
 */
export class Machine {
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
  /**
   * `false` from a write the transport refused more of (its buffer is full: the peer is not
   * reading) until its drain: commands wait in the outbox, bounded by `maxPending`, instead of
   * piling up in the socket's buffer.
   */
  writable = true
  /**
   * Chunks received so far. The sweeper compares it between its runs to know whether the node
   * said anything: no clock read per read.
   */
  reads = 0
  /** `reads` as the sweeper last saw it, and when (`Deadline.now()`) it last saw it change. */
  readsSeen = 0
  heardAt = 0
  /** Written commands timed out in a row with nothing received while they waited. */
  silentTimeouts = 0
  readonly drained = () => {
    this.writable = true
    if (this.outbox.length > 0) this.flush()
  }

  constructor(
    readonly host: string,
    readonly port: number,
    readonly transport: Transport,
    readonly defaultTimeout: number,
    readonly onPush: ((push: Resp.Push) => void) | undefined,
    decoderOptions: Resp.DecoderOptions | undefined,
    /** `maxPendingCommands`, `Infinity` for none. */
    readonly maxPending: number
  ) {
    this.decoder = new Resp.Decoder(transport.transientChunks === true ? { ...decoderOptions, transientChunks: true } : decoderOptions)
    if (transport.onDrain !== undefined) transport.onDrain(this.drained)
  }

  /** At the cap: the next command is refused (a batch is admitted whole below it). */
  full(): boolean {
    return this.inflight.length + this.outbox.length >= this.maxPending
  }

  queueFull(name: Resp.RespArg | undefined): ClusterError.QueueFullError {
    return new ClusterError.QueueFullError({ host: this.host, port: this.port, command: nameOf(name), limit: this.maxPending })
  }

  enqueue(args: ReadonlyArray<Resp.RespArg>, bytes: boolean, timeoutMillis: number | undefined, asking: boolean, resume: Resume, index = 0): Pending | undefined {
    if (this.dead !== undefined) {
      resume(Exit.fail(this.lostError(args[0], false)), index)
      return undefined
    }
    const timeout = timeoutMillis ?? this.defaultTimeout
    const pending = new Pending(args, bytes, timeout, resume, asking, index)
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
    // Not writable: `drained` flushes what waits.
    if (this.dead !== undefined || !this.writable) return
    const outbox = this.outbox
    let now = 0
    let pending: Pending | undefined
    while ((pending = outbox.shift()) !== undefined) {
      const args = pending.args
      // Interrupted or timed out before it was written: never sent, no reply to wait for.
      if (pending.resume === undefined || args === undefined) continue
      if (pending.timeout > 0 && pending.deadline === 0) pending.deadline = (now ||= Deadline.now()) + pending.timeout
      if (pending.asking) {
        this.writer.push(askingArgs)
        this.inflight.push(new Pending(askingArgs, false, 0, ignoreReply, false, 0))
        awaitingReplies++
      }
      this.writer.push(args)
      pending.args = undefined
      pending.written = true
      this.inflight.push(pending)
      awaitingReplies++
      // Big batches go out in slices instead of one giant buffer; the rest waits for the drain.
      if (this.writer.length >= 1 << 20 && !this.write(this.writer.take())) return
    }
    if (this.writer.length > 0) this.write(this.writer.take())
  }

  /** Writes a chunk; `false` (and not writable until the drain) when the transport's buffer is full. */
  write(chunk: Uint8Array): boolean {
    if (this.transport.write(chunk) !== false) return true
    this.writable = false
    return false
  }

  onData(chunk: Uint8Array): void {
    if (this.dead !== undefined) return
    this.reads++
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
      this.answer(head, value)
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
    this.reads++
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
      this.answer(head, value)
      if (this.dead !== undefined) return
    }
  }

  /** Hands the reply to the command it answers (already taken off `inflight`). */
  answer(head: Pending, value: Resp.RespValue): void {
    const resume = head.resume
    // Its caller was interrupted or timed out: the reply only keeps the order.
    if (resume === undefined) return
    head.resume = undefined
    if (value instanceof Resp.ErrorReply) {
      resume(Exit.fail(ClusterError.fromReply(value.message, { host: this.host, port: this.port, command: nameOf(head.name) })), head.index)
    } else {
      resume(Exit.succeed(value), head.index)
    }
  }

  shiftInflight(): void {
    this.inflight.shift()
    awaitingReplies--
  }

  lostError(name: Resp.RespArg | undefined, written: boolean): ClusterError.ConnectionError {
    const reason = this.dead === undefined ? "connection closed" : this.dead._tag === "ProtocolError"
      ? `closed after a protocol error: ${this.dead.reason}`
      : this.dead.reason
    return new ClusterError.ConnectionError({
      host: this.host,
      port: this.port,
      command: nameOf(name),
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
      resume(Exit.fail(new ClusterError.ProtocolError({ host: this.host, port: this.port, command: nameOf(p.name), reason: dead.reason })), p.index)
    } else {
      resume(Exit.fail(this.lostError(p.name, written)), p.index)
    }
  }

  sweep(): void {
    const now = Deadline.now()
    if (this.reads !== this.readsSeen) {
      this.readsSeen = this.reads
      this.heardAt = now
      this.silentTimeouts = 0
    }
    const expire = (p: Pending) => {
      if (p.timeout > 0 && p.deadline === 0) p.deadline = now + p.timeout
      else if (p.resume !== undefined && p.deadline !== 0 && now >= p.deadline) {
        const resume = p.resume
        p.resume = undefined
        // Never written now: its arguments are not needed any more.
        p.args = undefined
        // Nothing heard since it was written (its deadline minus its timeout, or earlier if it
        // waited in the outbox), to within a sweep period.
        if (p.written && this.heardAt <= p.deadline - p.timeout) this.silentTimeouts++
        resume(Exit.fail(new ClusterError.TimeoutError({
          host: this.host,
          port: this.port,
          command: nameOf(p.name),
          timeoutMillis: p.timeout
        })), p.index)
      }
    }
    this.inflight.forEach(expire)
    this.outbox.forEach(expire)
    if (this.silentTimeouts >= SILENT_TIMEOUTS_TO_CLOSE && this.dead === undefined) {
      this.kill(
        new ClusterError.ConnectionError({
          host: this.host,
          port: this.port,
          reason: `${this.silentTimeouts} commands timed out with nothing received from the node; closed to reconnect`
        })
      )
    }
  }

  /** One timer per connection, not per command; a deadline is honoured within a tenth of it. */
  startSweeper(timeout: number): void {
    // Bytes of the handshake came before any command it will time out.
    this.readsSeen = this.reads
    const period = Math.min(1000, Math.max(5, Math.floor(timeout / 10)))
    this.sweeper = setInterval(() => this.sweep(), period)
    this.sweeper.unref()
  }

  /**
   * The transport's data handler. With transient chunks the decoder copies what it still needs
   * before the reader reuses the buffer, whatever happened while replies were handed out.
   */
  reader(subscriber: boolean): (chunk: Uint8Array) => void {
    return subscriber
      ? (chunk) => {
        try {
          this.onSubscriberData(chunk)
        } finally {
          this.decoder.release()
        }
      }
      : (chunk) => {
        readingReplies++
        try {
          this.onData(chunk)
        } finally {
          readingReplies--
          this.decoder.release()
        }
      }
  }

  pendingCount(): number {
    return this.inflight.length + this.outbox.length
  }
}

// The canceler drops an interrupted command that was not written yet: it is never sent (on
// Effect 3 a canceler doubled the cost per command, so interrupted commands were written anyway;
// on Effect 4 it costs ~0.1-0.3 us, bench/README.md). A written one's reply goes by in order.
/**
 * `NodeConnection.send` on this machine.
 *
 * @since 0.1.0
 * @category sending
 */
export const send = (machine: Machine, args: ReadonlyArray<Resp.RespArg>, bytes: boolean, timeoutMillis: number | undefined, asking: boolean) =>
  Effect.callback<Resp.RespValue, CommandError>((resume) => {
    if (machine.full()) return resume(Exit.fail(machine.queueFull(args[0])))
    const pending = machine.enqueue(args, bytes, timeoutMillis, asking, resume)
    if (pending !== undefined) return cancelOf(pending)
  })

const cancelOf = (pending: Pending): Effect.Effect<void> =>
  Effect.sync(() => {
    pending.resume = undefined
    pending.args = undefined
  })

/**
 * `NodeConnection.sendBatch` on this machine.
 *
 * @since 0.1.0
 * @category sending
 */
export const sendBatch = (machine: Machine, requests: ReadonlyArray<BatchRequest>, timeoutMillis: number | undefined) =>
  Effect.callback<ReadonlyArray<Exit.Exit<Resp.RespValue, CommandError>>>((resume) => {
    const n = requests.length
    const results = new Array<Exit.Exit<Resp.RespValue, CommandError>>(n)
    if (n === 0) return resume(Effect.succeed(results))
    // Whole or not at all: a transaction sent in part would leave MULTI open on the connection.
    if (machine.full()) {
      for (let i = 0; i < n; i++) results[i] = Exit.fail(machine.queueFull(requests[i]!.args[0]))
      return resume(Effect.succeed(results))
    }
    let left = n
    // One closure for the whole batch: each command's outcome lands at its index.
    const done: Resume = (exit, i) => {
      results[i] = exit
      if (--left === 0) resume(Effect.succeed(results))
    }
    const pendings = new Array<Pending | undefined>(n)
    for (let i = 0; i < n; i++) {
      const r = requests[i]!
      pendings[i] = machine.enqueue(r.args, r.bytes === true, timeoutMillis, r.asking === true, done, i)
    }
    return Effect.sync(() => {
      for (const p of pendings) {
        if (p !== undefined) {
          p.resume = undefined
          p.args = undefined
        }
      }
    })
  })

/**
 * `NodeConnection.sendNoReply` on this machine.
 *
 * @since 0.1.0
 * @category sending
 */
export const sendNoReply = (
  machine: Machine,
  args: ReadonlyArray<Resp.RespArg>,
  onError: ((error: NoReplyError) => void) | undefined
) =>
  Effect.sync(() => {
    const kind = kindOf(commandName(args).toLowerCase())
    const pending = machine.enqueue(args, false, 0, false, (exit) => {
      const error = onError === undefined ? undefined : failureOf(exit)
      // `enqueue` never fails with it; only `send` and `sendBatch` check the cap.
      if (error !== undefined && error._tag !== "QueueFullError") onError!(error)
    })
    if (pending !== undefined) machine.expecting.set(pending, { kind, left: Math.max(1, args.length - 1) })
  })

