/**
 * A throwaway `redis-server` for codec golden tests, and raw TCP exchanges with it (bytes in,
 * bytes out), so tests can check the decoder against what a real server writes.
 * (`@keyslot/test-utils` has the full fixtures; this stays independent of the client stack.)
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { DecodeFailure, Decoder, encodeCommand, type RespArg } from "../../src/Resp.js"

/** A running server. */
export interface RawRedis {
  readonly port: number
  readonly stop: () => Promise<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = Net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

const startOnce = async (extraArgs: ReadonlyArray<string>): Promise<RawRedis | undefined> => {
  const port = await freePort()
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "keyslot-raw-redis-"))
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
      "--enable-debug-command", "yes", ...extraArgs],
    { stdio: "ignore" }
  )
  let exited = false
  child.once("exit", () => {
    exited = true
  })
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      child.kill("SIGKILL")
      await gone
    }
    Fs.rmSync(dir, { recursive: true, force: true })
  }
  for (let i = 0; i < 200 && !exited; i++) {
    if (await canConnect(port)) return { port, stop }
    await new Promise((r) => setTimeout(r, 25))
  }
  await stop()
  return undefined
}

/** Starts `redis-server` on a free loopback port (retrying if the port was taken meanwhile). */
export const startRedis = async (extraArgs: ReadonlyArray<string> = []): Promise<RawRedis> => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await startOnce(extraArgs)
    if (server !== undefined) return server
  }
  throw new Error("redis-server did not start")
}

/** One raw connection: write commands, read back the exact bytes of a number of replies. */
export class RawConnection {
  private readonly chunks: Array<Buffer> = []
  private waiter: (() => void) | undefined = undefined
  private closed: Error | undefined = undefined

  private constructor(private readonly socket: Net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.waiter?.()
    })
    socket.on("close", () => {
      this.closed = new Error("connection closed")
      this.waiter?.()
    })
    socket.on("error", () => {})
  }

  /** Connects to the server on `port`. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = Net.connect(port, "127.0.0.1")
      socket.setNoDelay(true)
      socket.once("connect", () => resolve(new RawConnection(socket)))
      socket.once("error", reject)
    })
  }

  /**
   * Sends the commands and returns the raw bytes of exactly `replies` top-level values
   * (default: one per command). Completeness is judged by a separate decoder.
   */
  async exchange(commands: ReadonlyArray<ReadonlyArray<RespArg>>, replies = commands.length): Promise<Buffer> {
    this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))))
    const decoder = new Decoder()
    const received: Array<Buffer> = []
    let count = 0
    const deadline = Date.now() + 10_000
    while (count < replies) {
      const chunk = this.chunks.shift()
      if (chunk === undefined) {
        if (this.closed !== undefined) throw this.closed
        if (Date.now() > deadline) throw new Error("timed out waiting for replies")
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000)
          this.waiter = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.waiter = undefined
        continue
      }
      decoder.feed(chunk)
      for (;;) {
        const value = decoder.next(true)
        if (value === undefined) break
        if (value instanceof DecodeFailure) throw new Error(`undecodable reply: ${value.reason}`)
        if (++count === replies) {
          // The last reply ends in this chunk; keep what follows it for the next exchange.
          const cut = chunk.length - decoder.buffered
          received.push(chunk.subarray(0, cut))
          if (cut < chunk.length) this.chunks.unshift(chunk.subarray(cut))
          return Buffer.concat(received)
        }
      }
      received.push(chunk)
    }
    return Buffer.concat(received)
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy()
  }
}
