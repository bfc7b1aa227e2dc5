/**
 * A TCP server on loopback whose replies a test scripts: for what a real redis-server cannot be made
 * to do on demand (garbage bytes, half a reply then close, silence).
 */
import { Effect } from "effect"
import * as Net from "node:net"

/** What the script sees of one client connection. */
export interface ScriptedClient {
  /** Raw bytes to the client. */
  readonly send: (data: string | Uint8Array) => void
  /** Close the socket (after flushing what was sent). */
  readonly end: () => void
  /** Destroy the socket at once. */
  readonly destroy: () => void
}

/** The running server. */
export interface Server {
  readonly port: number
  /** Connections open right now. */
  readonly connections: () => number
  /** Connections accepted since the start, closed ones included. */
  readonly accepted: () => number
  /**
   * Stop reading every socket, present and future: what the clients send piles up in the kernel's
   * buffers until their writes stop going through (a peer that does not read).
   */
  readonly pause: () => void
  /** Read again. */
  readonly resume: () => void
  readonly close: (done: () => void) => void
}

/**
 * `onCommand` receives each complete command (an array of strings) a client sends. Commands are
 * parsed naively (arrays of bulk strings only), which is what keyslot's encoder writes.
 */
export const make = (onCommand: (args: ReadonlyArray<string>, client: ScriptedClient) => void) =>
  Effect.acquireRelease(
    Effect.callback<Server>((resume) => {
      const sockets = new Set<Net.Socket>()
      let accepted = 0
      let paused = false
      const server = Net.createServer((socket) => {
        accepted++
        sockets.add(socket)
        if (paused) socket.pause()
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {})
        const client: ScriptedClient = {
          send: (data) => {
            if (!socket.destroyed) socket.write(data)
          },
          end: () => socket.end(),
          destroy: () => socket.destroy()
        }
        let buffer = Buffer.alloc(0)
        socket.on("data", (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk])
          while (true) {
            const parsed = parseCommand(buffer)
            if (parsed === undefined) return
            buffer = buffer.subarray(parsed.consumed)
            onCommand(parsed.args, client)
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as Net.AddressInfo
        resume(Effect.succeed({
          port: address.port,
          connections: () => sockets.size,
          accepted: () => accepted,
          pause: () => {
            paused = true
            for (const s of sockets) s.pause()
          },
          resume: () => {
            paused = false
            for (const s of sockets) s.resume()
          },
          close: (done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }
        }))
      })
    }),
    ({ close }) => Effect.callback<void>((resume) => close(() => resume(Effect.void)))
  )

const parseCommand = (buffer: Buffer): { args: Array<string>; consumed: number } | undefined => {
  if (buffer.length === 0 || buffer[0] !== 0x2a) return undefined
  let offset = 0
  const line = () => {
    const end = buffer.indexOf("\r\n", offset)
    if (end === -1) return undefined
    const text = buffer.toString("latin1", offset + 1, end)
    offset = end + 2
    return text
  }
  const countText = line()
  if (countText === undefined) return undefined
  const count = Number(countText)
  const args: Array<string> = []
  for (let i = 0; i < count; i++) {
    const lenText = line()
    if (lenText === undefined) return undefined
    const len = Number(lenText)
    if (buffer.length < offset + len + 2) return undefined
    args.push(buffer.toString("utf8", offset, offset + len))
    offset += len + 2
  }
  return { args, consumed: offset }
}
