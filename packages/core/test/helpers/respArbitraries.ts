/**
 * fast-check arbitraries for the RESP codec tests.
 *
 * `wire` builds RESP bytes by hand (independently of `encodeValue`), choosing among the forms a
 * server may use (simple vs bulk string, `_` / `$-1` / `*-1` null, `-` vs `!` error, exponent
 * doubles, signed integers...), together with the value each decoding mode must produce.
 * `textValue` / `bytesValue` build model values for `encodeValue` round trips.
 */
import fc from "fast-check"
import { expect } from "vitest"
import { Attributed, DecodeFailure, Decoder, ErrorReply, Push, type RespValue, VerbatimString } from "../../src/Resp.js"

/** RESP bytes and what they decode to in string mode (`text`) and in bytes mode (`bin`). */
export interface Wire {
  readonly bytes: Buffer
  readonly text: RespValue
  readonly bin: RespValue
}

const b = (s: string | Uint8Array): Buffer => (typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s))

const same = (bytes: Buffer, value: RespValue): Wire => ({ bytes, text: value, bin: value })

/** Any Unicode text (no lone surrogates: those cannot survive UTF-8). */
const unicode = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 6 })
)

/** Text allowed in a simple string / simple error line: no CR or LF. */
const lineText = unicode.map((s) => s.replace(/[\r\n]/g, "_"))

const bulkPayload: fc.Arbitrary<Buffer> = fc.oneof(
  unicode.map(b),
  fc.uint8Array({ maxLength: 40 }).map(b),
  // Payloads that look like RESP themselves.
  fc.constantFrom("\r\n", "$3\r\nfoo\r\n", "*-1\r\n", "\r", "\n", "").map(b)
)

const bulk = (prefix: string, payload: Buffer): Buffer =>
  Buffer.concat([b(`${prefix}${payload.length}\r\n`), payload, b("\r\n")])

const simpleString = lineText.map((s): Wire => ({ bytes: b(`+${s}\r\n`), text: s, bin: b(s) }))

const bulkString = bulkPayload.map((p): Wire => ({ bytes: bulk("$", p), text: p.toString("utf8"), bin: p }))

const integerOf = (n: bigint): RespValue =>
  n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n

const integer = fc.tuple(
  fc.oneof(
    fc.integer().map(BigInt),
    fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
    fc.constantFrom(0n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n - 1n), -(2n ** 53n), 10n ** 15n, 10n ** 16n)
  ),
  fc.boolean()
).map(([n, plus]): Wire => same(b(`:${plus && n >= 0n ? "+" : ""}${n}\r\n`), integerOf(n)))

const doubleText = fc.oneof(
  fc.double().map((d) => ({ d, forms: [String(d), d.toExponential(), d.toExponential(3).toUpperCase()] })),
  fc.integer().map((i) => ({ d: i, forms: [String(i), `${i}.0`, `${i}e0`] }))
).chain(({ d, forms }) =>
  Number.isFinite(d)
    ? fc.constantFrom(...forms).map((text) => ({ text, value: Number(text) }))
    : fc.constant({ text: Number.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf", value: d })
)

const double = fc.oneof(
  doubleText,
  fc.constantFrom(
    { text: "inf", value: Infinity },
    { text: "-inf", value: -Infinity },
    { text: "nan", value: NaN },
    { text: "-0", value: -0 },
    { text: "3.141", value: 3.141 },
    { text: "1.5e-300", value: 1.5e-300 },
    { text: "1e+308", value: 1e308 }
  )
).map(({ text, value }): Wire => same(b(`,${text}\r\n`), value))

const bigNumber = fc.bigInt(-(10n ** 60n), 10n ** 60n).map((n): Wire => same(b(`(${n}\r\n`), n))

const boolean = fc.boolean().map((v): Wire => same(b(v ? "#t\r\n" : "#f\r\n"), v))

const nil = fc.constantFrom("_\r\n", "$-1\r\n", "*-1\r\n").map((s): Wire => same(b(s), null))

const simpleError = lineText.map((s): Wire => same(b(`-${s}\r\n`), new ErrorReply(s)))

const bulkError = unicode.map((s): Wire => same(bulk("!", b(s)), new ErrorReply(s)))

const verbatim = fc.tuple(fc.constantFrom("txt", "mkd", "abc"), bulkPayload).map(([format, p]): Wire => ({
  bytes: bulk("=", Buffer.concat([b(`${format}:`), p])),
  text: new VerbatimString(format, p.toString("utf8")),
  bin: new VerbatimString(format, p)
}))

const leaf: fc.Arbitrary<Wire> = fc.oneof(
  simpleString,
  bulkString,
  integer,
  double,
  bigNumber,
  boolean,
  nil,
  simpleError,
  bulkError,
  verbatim
)

const header = (prefix: string, n: number, body: ReadonlyArray<Wire>): Buffer =>
  Buffer.concat([b(`${prefix}${n}\r\n`), ...body.map((w) => w.bytes)])

const pairsMap = (pairs: ReadonlyArray<readonly [Wire, Wire]>, mode: "text" | "bin"): Map<RespValue, RespValue> =>
  new Map(pairs.map(([k, v]) => [k[mode], v[mode]]))

const { wire: wireTree } = fc.letrec<{
  wire: Wire
  array: Wire
  map: Wire
  set: Wire
  push: Wire
  attributed: Wire
}>((tie) => ({
  wire: fc.oneof(
    { depthSize: "small", maxDepth: 3, withCrossShrink: true },
    leaf,
    tie("array"),
    tie("map"),
    tie("set"),
    tie("push"),
    tie("attributed")
  ),
  array: fc.array(tie("wire"), { maxLength: 4 }).map((items): Wire => ({
    bytes: header("*", items.length, items),
    text: items.map((w) => w.text),
    bin: items.map((w) => w.bin)
  })),
  map: fc.array(fc.tuple(tie("wire"), tie("wire")), { maxLength: 3 }).map((pairs): Wire => ({
    bytes: header("%", pairs.length, pairs.flat()),
    text: pairsMap(pairs, "text"),
    bin: pairsMap(pairs, "bin")
  })),
  set: fc.array(tie("wire"), { maxLength: 4 }).map((items): Wire => ({
    bytes: header("~", items.length, items),
    text: new Set(items.map((w) => w.text)),
    bin: new Set(items.map((w) => w.bin))
  })),
  push: fc.array(tie("wire"), { maxLength: 4 }).map((items): Wire => ({
    bytes: header(">", items.length, items),
    text: new Push(items.map((w) => w.text)),
    bin: new Push(items.map((w) => w.bin))
  })),
  attributed: fc.tuple(fc.array(fc.tuple(tie("wire"), tie("wire")), { maxLength: 2 }), tie("wire")).map((
    [pairs, value]
  ): Wire => ({
    bytes: Buffer.concat([header("|", pairs.length, pairs.flat()), value.bytes]),
    // attributes in front of a push are dropped: a push stays a Push (issue #12, item 16)
    text: value.text instanceof Push ? value.text : new Attributed(pairsMap(pairs, "text"), value.text),
    bin: value.bin instanceof Push ? value.bin : new Attributed(pairsMap(pairs, "bin"), value.bin)
  }))
}))

/** One top-level RESP value in any of its wire forms, nested up to a few levels. */
export const wire: fc.Arbitrary<Wire> = wireTree

/** Several top-level values, each with the decoding mode to ask for. */
export const wireStream = fc.array(fc.tuple(wire, fc.boolean()), { minLength: 1, maxLength: 3 })

/**
 * Split points for a stream of `length` bytes: random cuts, or every byte on its own
 * (`byteByByte`), so chunks end inside lengths, `\r\n` and payloads.
 */
export const cuts: fc.Arbitrary<Cuts> = fc.record({
  byteByByte: fc.oneof({ arbitrary: fc.constant(true), weight: 1 }, { arbitrary: fc.constant(false), weight: 6 }),
  points: fc.array(fc.nat(), { maxLength: 12 }),
  plainUint8Array: fc.boolean()
})

/** How to split a stream into chunks. */
export interface Cuts {
  readonly byteByByte: boolean
  readonly points: ReadonlyArray<number>
  readonly plainUint8Array: boolean
}

/** Splits `bytes` into chunks at the given cuts (views, no copies). */
export const split = (bytes: Buffer, c: Cuts): Array<Uint8Array> => {
  const view = (s: number, e: number): Uint8Array =>
    c.plainUint8Array ? new Uint8Array(bytes.buffer, bytes.byteOffset + s, e - s) : bytes.subarray(s, e)
  if (c.byteByByte) {
    const out: Array<Uint8Array> = []
    for (let i = 0; i < bytes.length; i++) out.push(view(i, i + 1))
    return out
  }
  const points = [...new Set(c.points.map((p) => p % (bytes.length + 1)))].sort((x, y) => x - y)
  const out: Array<Uint8Array> = []
  let at = 0
  for (const p of points) {
    out.push(view(at, p))
    at = p
  }
  out.push(view(at, bytes.length))
  return out
}

// --- Model values for encodeValue round trips -------------------------------------------------

const numberValue = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53, 1e300)
)

const textLeaf = (strings: fc.Arbitrary<string | Buffer>): fc.Arbitrary<RespValue> =>
  fc.oneof(
    strings,
    numberValue,
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    unicode.map((s) => new ErrorReply(s)),
    fc.tuple(fc.constantFrom("txt", "mkd"), strings).map(([f, t]) => new VerbatimString(f, t))
  )

const valueTree = (strings: fc.Arbitrary<string | Buffer>): fc.Arbitrary<RespValue> =>
  fc.letrec<{ value: RespValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth: 3, withCrossShrink: true },
      textLeaf(strings),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((pairs) => new Map(pairs)),
      fc.array(tie("value"), { maxLength: 4 }).map((items) => new Set(items)),
      fc.array(tie("value"), { maxLength: 4 }).map((items) => new Push(items)),
      // the decoder drops attributes in front of a push (issue #12, item 16): the model never makes one
      fc.tuple(fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 2 }), tie("value")).map(
        ([pairs, v]) => v instanceof Push ? v : new Attributed(new Map(pairs), v)
      )
    )
  })).value

/** A model value whose strings are `string` (what string mode decodes). */
export const textValue: fc.Arbitrary<RespValue> = valueTree(unicode)

/** A model value whose strings are Buffers (what bytes mode decodes). */
export const bytesValue: fc.Arbitrary<RespValue> = valueTree(
  fc.oneof(unicode.map(b), fc.uint8Array({ maxLength: 30 }).map(b))
)

/** A structure-preserving plain form of decoded values, cheap to compare (Buffers become strings). */
export type Canon = string | number | boolean | null | { readonly [k: string]: Canon } | ReadonlyArray<Canon>

/** `value` (or a DecodeFailure-like `{ reason }`) in `Canon` form; keeps classes, map/set and -0 distinct. */
export const canon = (value: unknown): Canon => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") return Object.is(value, -0) ? { minusZero: true } : Number.isNaN(value) ? { nan: true } : value
  if (typeof value === "bigint") return { bigint: String(value) }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1") }
  if (Array.isArray(value)) return value.map(canon)
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [canon(k), canon(v)]) }
  if (value instanceof Set) return { set: [...value].map(canon) }
  if (value instanceof ErrorReply) return { error: value.message }
  if (value instanceof VerbatimString) return { verbatim: [value.format, canon(value.text)] }
  if (value instanceof Push) return { push: value.values.map(canon) }
  if (value instanceof Attributed) return { attributes: canon(value.attributes), value: canon(value.value) }
  if (typeof value === "object" && "reason" in value) return { failure: String(value.reason) }
  return { unknown: String(value) }
}

/** Asserts two decoded values (or lists of them) are the same, comparing their `Canon` JSON (fast, exact, ordered). */
export const expectSame = (actual: unknown, expected: unknown): void => {
  const a = JSON.stringify(canon(actual))
  const e = JSON.stringify(canon(expected))
  // `expect` costs ~30 µs a call: only reach for it (and its diff) on a mismatch.
  if (a !== e) expect(a).toBe(e)
}

/** Feeds the chunks, pulling values as they complete (mode per value index); stops at a failure. */
export const decodeChunks = (
  chunks: ReadonlyArray<Uint8Array>,
  modeOf: (index: number) => boolean,
  decoder = new Decoder()
): Array<RespValue | DecodeFailure> => {
  const out: Array<RespValue | DecodeFailure> = []
  for (const chunk of chunks) {
    decoder.feed(chunk)
    for (;;) {
      const value = decoder.next(modeOf(out.length))
      if (value === undefined) break
      out.push(value)
      if (value instanceof DecodeFailure) return out
    }
  }
  return out
}

/** Asserts no failure is the decoder's own bug (its catch-all reason). */
export const noInternalError = (values: ReadonlyArray<RespValue | DecodeFailure>): void => {
  for (const v of values) if (v instanceof DecodeFailure && /internal/.test(v.reason)) expect(v.reason).not.toMatch(/internal/)
}
