/**
 * Micro-benchmark of the RESP codec (not a test): decodes streams of small replies split into
 * 64 KiB chunks, as a socket delivers them, and encodes small commands.
 * Prints ops/s for keyslot's `Resp.Decoder` and, as a yardstick, ioredis 6's decoder.
 *
 *   pnpm --filter @keyslot/bench exec tsx src/resp-decode.ts
 */
import { CommandWriter, DecodeFailure, Decoder } from "@keyslot/core/Resp"
import { createRequire } from "node:module"

const CHUNK = 64 * 1024
const ROUNDS = 5

/** `count` replies cycling through `frames`, as one stream cut into socket-sized chunks. */
const stream = (frames: ReadonlyArray<string>, count: number): Array<Buffer> => {
  const parts: Array<Buffer> = frames.map((f) => Buffer.from(f, "latin1"))
  const total = Buffer.concat(Array.from({ length: count }, (_, i) => parts[i % parts.length]!))
  const chunks: Array<Buffer> = []
  for (let at = 0; at < total.length; at += CHUNK) chunks.push(Buffer.from(total.subarray(at, at + CHUNK)))
  return chunks
}

const bestOf = (run: () => number): { readonly opsPerSec: number; readonly replies: number } => {
  let best = 0
  let replies = 0
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.hrtime.bigint()
    replies = run()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    best = Math.max(best, replies / seconds)
  }
  return { opsPerSec: best, replies }
}

const keyslot = (chunks: ReadonlyArray<Buffer>, bytes: boolean) => (): number => {
  const decoder = new Decoder()
  let n = 0
  for (const chunk of chunks) {
    decoder.feed(chunk)
    for (;;) {
      const value = decoder.next(bytes)
      if (value === undefined) break
      if (value instanceof DecodeFailure) throw new Error(value.reason)
      n++
    }
  }
  return n
}

interface PeerDecoder {
  write(chunk: Buffer): void
}

type PeerDecoderClass = new (config: {
  readonly getTypeMapping: () => object
  readonly onReply: (reply: unknown) => void
  readonly onErrorReply: (error: unknown) => void
  readonly onPush: (push: unknown) => void
}) => PeerDecoder

const loadIoredisDecoder = (): PeerDecoderClass | undefined => {
  try {
    const require = createRequire(import.meta.url)
    return (require("ioredis/built/resp/decoder") as { readonly Decoder: PeerDecoderClass }).Decoder
  } catch {
    return undefined
  }
}

const ioredis = (Peer: PeerDecoderClass, chunks: ReadonlyArray<Buffer>) => (): number => {
  let n = 0
  const count = () => {
    n++
  }
  const decoder = new Peer({ getTypeMapping: () => ({}), onReply: count, onErrorReply: count, onPush: count })
  for (const chunk of chunks) decoder.write(chunk)
  return n
}

const fmt = (opsPerSec: number): string => `${(opsPerSec / 1e6).toFixed(2)} M replies/s`

const workloads: ReadonlyArray<readonly [string, Array<Buffer>]> = [
  ["1M small mixed (+OK, $5 value, :int, $-1)", stream(["+OK\r\n", "$5\r\nvalue\r\n", ":12345\r\n", "$-1\r\n"], 1_000_000)],
  ["1M GET replies ($16 payload)", stream(["$16\r\nvalue-0123456789\r\n"], 1_000_000)],
  ["100k arrays of 10 bulk strings", stream(["*10\r\n" + "$6\r\nmember\r\n".repeat(10)], 100_000)],
  ["100k RESP3 maps of 5 pairs", stream(["%5\r\n" + "+field\r\n:42\r\n".repeat(5)], 100_000)]
]

const Peer = loadIoredisDecoder()
console.log(`RESP decode, ${CHUNK / 1024} KiB chunks, best of ${ROUNDS} (node ${process.version})`)
for (const [name, chunks] of workloads) {
  const ours = bestOf(keyslot(chunks, false))
  const ourBytes = bestOf(keyslot(chunks, true))
  let line = `${name.padEnd(45)} keyslot ${fmt(ours.opsPerSec)} (bytes mode ${fmt(ourBytes.opsPerSec)})`
  if (Peer !== undefined) {
    const peer = bestOf(ioredis(Peer, chunks))
    if (peer.replies !== ours.replies) line += `  [ioredis counted ${peer.replies}]`
    line += `  | ioredis 6 ${fmt(peer.opsPerSec)}  x${(ours.opsPerSec / peer.opsPerSec).toFixed(2)}`
  }
  console.log(line)
}

const encode = bestOf(() => {
  const writer = new CommandWriter()
  const n = 1_000_000
  for (let i = 0; i < n; i++) {
    writer.push(["SET", "user:12345", "value-0123456789"])
    if (i % 64 === 63) writer.take()
  }
  writer.take()
  return n
})
console.log(`${"encode 1M SET key value (take per 64)".padEnd(45)} keyslot ${(encode.opsPerSec / 1e6).toFixed(2)} M commands/s`)
