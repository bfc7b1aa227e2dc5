/**
 * Micro-benchmark (not a test): Node's `Buffer` string codecs against the platform-neutral
 * `TextDecoder` / `TextEncoder` on plain `Uint8Array`s, for the calls the RESP decoder and encoder
 * make: bytes → string for replies (`utf8`, and `latin1` for number lines), string → bytes for
 * arguments (a fresh array, or written into a preallocated slab).
 *
 *   cd bench && node --import tsx src/bufferVsTextCodec.ts
 *
 * Each value is cut from a 64 KiB chunk at a moving offset, the way the decoder reads a socket
 * chunk (so the TextDecoder side pays for its `subarray` view, as it would in the decoder). Each
 * case warms up, then runs ROUNDS rounds of ROUND_MS; the table shows the round with the least CPU
 * per op (`process.cpuUsage`, which moves less than wall time when other processes share the cores).
 * Runs in about 15 s.
 */

const WARMUP_MS = 100
const ROUND_MS = 80
const ROUNDS = 3
/** Ops between two clock reads. */
const BATCH = 2000
const CHUNK = 64 * 1024

let sink = 0

/** CPU nanoseconds per op of `op(i)`, best of ROUNDS. */
const measure = (op: (i: number) => number): number => {
  let i = 0
  const until = performance.now() + WARMUP_MS
  while (performance.now() < until) for (let k = 0; k < BATCH; k++) sink += op(i++)
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0
    const cpu = process.cpuUsage()
    const end = performance.now() + ROUND_MS
    while (performance.now() < end) {
      for (let k = 0; k < BATCH; k++) sink += op(i++)
      ops += BATCH
    }
    const used = process.cpuUsage(cpu)
    best = Math.min(best, ((used.user + used.system) * 1000) / ops)
  }
  return best
}

/** Text of about `bytes` UTF-8 bytes: ASCII, or mixed with 2- and 3-byte characters. */
const textOf = (bytes: number, ascii: boolean): string => {
  const unit = ascii ? "user:1000:session:abcdef " : "héllo wörld ✓ naïve ☃ "
  let s = ""
  while (Buffer.byteLength(s + unit) <= bytes) s += unit
  for (const c of unit) {
    if (Buffer.byteLength(s + c) > bytes) break
    s += c
  }
  return s
}

/** A 64 KiB chunk filled with copies of `text`'s bytes, and the start offsets of the copies. */
const chunkOf = (text: string): { readonly buf: Buffer; readonly u8: Uint8Array; readonly starts: Array<number>; readonly n: number } => {
  const one = Buffer.from(text, "utf8")
  const buf = Buffer.alloc(Math.max(CHUNK, one.length * 2))
  const starts: Array<number> = []
  for (let at = 0; at + one.length <= buf.length; at += one.length + 2) {
    one.copy(buf, at)
    starts.push(at)
  }
  // A plain Uint8Array over other memory, as a non-Node platform would hand it over.
  const u8 = new Uint8Array(buf.length)
  u8.set(buf)
  return { buf, u8, starts, n: one.length }
}

const utf8Decoder = new TextDecoder("utf-8")
/** WHATWG "latin1" is windows-1252: equal to ISO-8859-1 except 0x80-0x9F; number lines are ASCII. */
const latin1Decoder = new TextDecoder("latin1")
const encoder = new TextEncoder()

type Row = { readonly label: string; readonly buffer: number; readonly text: number; readonly note?: string }
const rows: Array<Row> = []

const decodeCase = (label: string, bytes: number, ascii: boolean): void => {
  const { buf, u8, starts, n } = chunkOf(textOf(bytes, ascii))
  const m = starts.length
  if (buf.toString("utf8", starts[1]!, starts[1]! + n) !== utf8Decoder.decode(u8.subarray(starts[1]!, starts[1]! + n))) {
    throw new Error(`decoders disagree on ${label}`)
  }
  const buffer = measure((i) => {
    const s = starts[i % m]!
    return buf.toString("utf8", s, s + n).length
  })
  const text = measure((i) => {
    const s = starts[i % m]!
    return utf8Decoder.decode(u8.subarray(s, s + n)).length
  })
  rows.push({ label, buffer, text })
}

const latin1Case = (label: string, line: string): void => {
  const { buf, u8, starts, n } = chunkOf(line)
  const m = starts.length
  const buffer = measure((i) => {
    const s = starts[i % m]!
    return buf.toString("latin1", s, s + n).length
  })
  const text = measure((i) => {
    const s = starts[i % m]!
    return latin1Decoder.decode(u8.subarray(s, s + n)).length
  })
  const loop = measure((i) => {
    const s = starts[i % m]!
    let out = ""
    for (let j = s; j < s + n; j++) out += String.fromCharCode(u8[j]!)
    return out.length
  })
  rows.push({ label, buffer, text, note: `JS charCode loop ${loop.toFixed(0)} ns` })
}

const encodeCase = (label: string, bytes: number, ascii: boolean): void => {
  const strings = Array.from({ length: 64 }, (_, k) => textOf(bytes - 3, ascii) + String(100 + k))
  const slab = Buffer.allocUnsafe(CHUNK + bytes * 3)
  const slabU8 = new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength)
  const fresh = [
    measure((i) => Buffer.from(strings[i & 63]!, "utf8").length),
    measure((i) => encoder.encode(strings[i & 63]!).length)
  ] as const
  rows.push({ label: `${label}, new array`, buffer: fresh[0], text: fresh[1] })
  // Into a slab at a moving offset (the CommandWriter's case). Buffer needs byteLength for the room check.
  let p = 0
  const into = [
    measure((i) => {
      const s = strings[i & 63]!
      const need = Buffer.byteLength(s, "utf8")
      if (p + need > CHUNK) p = 0
      const w = slab.write(s, p, "utf8")
      p += w
      return w
    }),
    measure((i) => {
      const s = strings[i & 63]!
      if (p + s.length * 3 > slabU8.length) p = 0
      const w = encoder.encodeInto(s, slabU8.subarray(p)).written
      p += w
      return w
    })
  ] as const
  rows.push({ label: `${label}, into slab`, buffer: into[0], text: into[1] })
}

const started = performance.now()
for (const [bytes, name] of [[16, "16 B"], [32, "32 B"], [100, "100 B"], [16 * 1024, "16 KiB"]] as const) {
  decodeCase(`decode ${name} ASCII`, bytes, true)
  decodeCase(`decode ${name} UTF-8`, bytes, false)
}
latin1Case("latin1 double line (20 B)", "3.1415926535897931")
latin1Case("latin1 big number (40 B)", "3492890328409238509324850943850943825024385")
for (const [bytes, name] of [[32, "32 B"], [100, "100 B"], [16 * 1024, "16 KiB"]] as const) {
  encodeCase(`encode ${name} ASCII`, bytes, true)
  encodeCase(`encode ${name} UTF-8`, bytes, false)
}

const ns = (x: number): string => (x < 10 ? x.toFixed(1) : x.toFixed(0)).padStart(7)
console.log(`${"case".padEnd(30)} ${"Buffer ns".padStart(9)} ${"Text* ns".padStart(9)}  Text*/Buffer`)
for (const r of rows) {
  console.log(`${r.label.padEnd(30)} ${ns(r.buffer).padStart(9)} ${ns(r.text).padStart(9)}  ${(r.text / r.buffer).toFixed(2).padStart(6)}x${r.note ? `   (${r.note})` : ""}`)
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s, node ${process.version}, sink ${sink > 0 ? "ok" : "?"})`)
