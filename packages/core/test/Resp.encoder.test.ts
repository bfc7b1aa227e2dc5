import * as assert from "node:assert/strict"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  Attributed,
  CommandWriter,
  encodeCommand,
  encodeValue,
  ErrorReply,
  Push,
  type RespArg,
  type RespValue,
  VerbatimString
} from "../src/Resp.js"
import { bytesValue, type Cuts, cuts, decodeChunks, expectSame, split, textValue } from "./helpers/respArbitraries.js"

// encodeValue and CommandWriter, checked by decoding what they write.
const RUNS = 10_000

describe("encodeValue", () => {
  it("round-trips string-mode values through the decoder (RESP3)", () => {
    fc.assert(
      fc.property(textValue, cuts, (value, c) => {
        const bytes = Buffer.from(encodeValue(value))
        expectSame(decodeChunks(split(bytes, c), () => false), [value])
      }),
      { numRuns: RUNS }
    )
  })

  it("round-trips bytes-mode values through the decoder (RESP3)", () => {
    fc.assert(
      fc.property(bytesValue, cuts, (value, c) => {
        const bytes = Buffer.from(encodeValue(value))
        expectSame(decodeChunks(split(bytes, c), () => true), [value])
      }),
      { numRuns: RUNS }
    )
  })

  it("RESP2 form decodes to the RESP2 view of the value", () => {
    fc.assert(
      fc.property(textValue, (value) => {
        const decoded = decodeChunks([encodeValue(value, 2)], () => false)
        expectSame(decoded, [resp2View(value)])
      }),
      { numRuns: RUNS }
    )
  })
})

/** What a RESP3 value looks like after its RESP2 encoding is decoded (RESP2 loses types). */
const resp2View = (v: RespValue): RespValue => {
  if (v === null || typeof v === "string" || v instanceof Uint8Array) return v
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v
    return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : Object.is(v, -0) ? "-0" : String(v)
  }
  if (typeof v === "bigint") {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) return String(v)
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  if (v instanceof ErrorReply) return new ErrorReply(v.message.replace(/[\r\n]/g, " "))
  if (v instanceof VerbatimString) return v.text
  if (v instanceof Push) return v.values.map(resp2View)
  if (v instanceof Attributed) return resp2View(v.value)
  if (v instanceof Map) return [...v].flatMap(([k, x]) => [resp2View(k), resp2View(x)])
  if (v instanceof Set) return [...v].map(resp2View)
  return (v as ReadonlyArray<RespValue>).map(resp2View)
}

const arg: fc.Arbitrary<RespArg> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ maxLength: 12 }),
  fc.oneof({ arbitrary: fc.string({ minLength: 200, maxLength: 400 }), weight: 1 }, { arbitrary: fc.constant("v"), weight: 9 }),
  // Lone surrogates: sent as U+FFFD, like Buffer.from does.
  fc.array(fc.constantFrom("a", "\ud800", "\udfff", "€", "\u{1F600}"), { maxLength: 8 }).map((p) => p.join("")),
  fc.uint8Array({ maxLength: 40 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double()
)

const argBytes = (a: RespArg): Buffer =>
  typeof a === "string"
    ? Buffer.from(a, "utf8")
    : typeof a === "number"
    ? Buffer.from(a === Infinity ? "+inf" : a === -Infinity ? "-inf" : Number.isNaN(a) ? "nan" : String(a))
    : Buffer.from(a)

describe("CommandWriter", () => {
  it("commands decode back to arrays of bulk strings equal to the args; taken buffers stay intact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(arg, { minLength: 1, maxLength: 6 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
        cuts,
        (commands, c) => {
          const writer = new CommandWriter()
          // Keep the taken views themselves: later commands must never overwrite them.
          const taken: Array<Uint8Array> = []
          for (const [args, takeAfter] of commands) {
            const before = writer.length
            writer.push(args)
            assert.ok(writer.length > before)
            if (takeAfter) taken.push(writer.take())
          }
          taken.push(writer.take())
          assert.strictEqual(writer.length, 0)
          const bytes = Buffer.concat(taken)
          const expected = commands.map(([args]) => args.map(argBytes))
          expectSame(decodeChunks(split(bytes, c), () => true), expected)
          // encodeCommand writes the same bytes.
          assert.ok(Buffer.concat(commands.map(([args]) => encodeCommand(args))).equals(bytes))
        }
      ),
      { numRuns: RUNS }
    )
  })
})

describe("split helper", () => {
  it("covers the bytes exactly", () => {
    const c: Cuts = { byteByByte: false, points: [3, 1, 3, 100], plainUint8Array: false }
    expect(Buffer.concat(split(Buffer.from("abcdef"), c))).toStrictEqual(Buffer.from("abcdef"))
  })
})
