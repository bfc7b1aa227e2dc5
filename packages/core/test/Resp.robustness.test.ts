import * as assert from "node:assert/strict"
import fc from "fast-check"
import { describe, it } from "vitest"
import { Attributed, DecodeFailure, Decoder, Push } from "../src/Resp.js"
import type { RespValue } from "../src/Resp.js"
import { cuts, decodeChunks, expectSame, noInternalError, split, wireStream } from "./helpers/respArbitraries.js"

// Truncation must never complete a value; garbage must end in values or a DecodeFailure, never an exception or a hang.
const RUNS = 10_000

/**
 * What the decoder makes of a model value: an attribute in front of a push is dropped, so that the
 * push stays a `Push` (issue #12, item 16). The shared wire model still pairs them.
 */
const decodedForm = (value: RespValue): RespValue => {
  if (Array.isArray(value)) return value.map(decodedForm)
  if (value instanceof Map) return new Map(Array.from(value, ([k, v]) => [decodedForm(k), decodedForm(v)]))
  if (value instanceof Set) return new Set(Array.from(value, decodedForm))
  if (value instanceof Push) return new Push(value.values.map(decodedForm))
  if (value instanceof Attributed) {
    const inner = decodedForm(value.value)
    return inner instanceof Push ? inner : new Attributed(decodedForm(value.attributes) as ReadonlyMap<RespValue, RespValue>, inner)
  }
  return value
}

describe("Decoder on truncated and corrupted input", () => {
  it("never completes a truncated value: the values before it, then undefined", () => {
    fc.assert(
      fc.property(wireStream, fc.nat(), cuts, (stream, cutAt, c) => {
        const complete = stream.slice(0, -1)
        const last = stream[stream.length - 1]![0].bytes
        const truncated = Buffer.concat([...complete.map(([w]) => w.bytes), last.subarray(0, cutAt % last.length)])
        const decoder = new Decoder()
        const values = decodeChunks(split(truncated, c), (i) => stream[i]?.[1] ?? false, decoder)
        expectSame(values, complete.map(([w, bin]) => decodedForm(bin ? w.bin : w.text)))
        assert.strictEqual(decoder.next(), undefined)
        // ...and the rest of the bytes completes it.
        decoder.feed(last.subarray(cutAt % last.length))
        const lastMode = stream[stream.length - 1]![1]
        const lastValue = decoder.next(lastMode)
        const expected = stream[stream.length - 1]![0]
        expectSame(lastValue, decodedForm(lastMode ? expected.bin : expected.text))
      }),
      { numRuns: RUNS }
    )
  })

  it("survives a corrupted byte: values or a DecodeFailure, never an exception or a hang", () => {
    fc.assert(
      fc.property(wireStream, fc.nat(), fc.integer({ min: 0, max: 255 }), cuts, (stream, at, byte, c) => {
        const bytes = Buffer.from(Buffer.concat(stream.map(([w]) => w.bytes)))
        const corrupted = at % bytes.length
        bytes[corrupted] = byte
        const values = decodeChunks(split(bytes, c), (i) => stream[i]?.[1] ?? false)
        // Each value consumes at least 3 bytes, so the loop above is bounded; never more values than bytes allow.
        assert.ok(values.length <= Math.ceil(bytes.length / 3))
        noInternalError(values)
        // The values wholly before the corrupted byte are unaffected.
        let end = 0
        const intact: Array<unknown> = []
        for (const [w, bin] of stream) {
          end += w.bytes.length
          if (end > corrupted) break
          intact.push(decodedForm(bin ? w.bin : w.text))
        }
        expectSame(values.slice(0, intact.length), intact)
      }),
      { numRuns: RUNS }
    )
  })
})

/** Bytes biased towards RESP syntax, so garbage reaches deep into the parser. */
const respish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "*", "$", "%", "~", ">", "|", "+", "-", ":", ",", "(", "#", "!", "=", "_", ";", ".",
        "\r\n", "\r", "\n", "-1", "0", "1", "2", "3", "9", "?", "t", "f", "inf", "nan", "e", "txt:", "a"
      ),
      fc.uint8Array({ maxLength: 4 }).map((u) => Buffer.from(u).toString("latin1"))
    ),
    { maxLength: 40 }
  )
  .map((parts) => Buffer.from(parts.join(""), "latin1"))

describe("Decoder on garbage", () => {
  it("random bytes: never throws, terminates, no internal errors", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), respish), cuts, (bytes, c) => {
        const values = decodeChunks(split(bytes, c), (i) => i % 2 === 1)
        assert.ok(values.length <= Math.ceil(bytes.length / 3))
        noInternalError(values)
      }),
      { numRuns: RUNS }
    )
  })

  it("the same garbage gives the same result however it is chunked", () => {
    fc.assert(
      fc.property(respish, cuts, (bytes, c) => {
        const whole = decodeChunks([bytes], () => false)
        const chunked = decodeChunks(split(bytes, c), () => false)
        expectSame(chunked, whole)
      }),
      { numRuns: RUNS }
    )
  })
})


describe("Decoder limits and pushes (issue #12, item 16)", () => {
  const decodeAll = (bytes: string, options?: ConstructorParameters<typeof Decoder>[0], mode = false) => {
    const decoder = new Decoder(options)
    decoder.feed(Buffer.from(bytes, "latin1"))
    return decoder.next(mode)
  }
  const reasonOf = (value: unknown): string => {
    assert.ok(value instanceof DecodeFailure, `expected a DecodeFailure, got ${String(value)}`)
    return value.reason
  }

  it("a string longer than maxBulkLength fails naming the limit and the client option; one at the limit decodes", () => {
    const limit = { maxBulkLength: 16 }
    const at = "x".repeat(16)
    const over = "x".repeat(17)
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["bulk string", `$16\r\n${at}\r\n`, `$17\r\n${over}\r\n`],
      ["bulk error", `!16\r\n${at}\r\n`, `!17\r\n${over}\r\n`],
      ["verbatim string", `=16\r\ntxt:${at.slice(4)}\r\n`, `=17\r\ntxt:${over.slice(4)}\r\n`],
      ["simple string", `+${at}\r\n`, `+${over}\r\n`],
      ["error", `-${at}\r\n`, `-${over}\r\n`],
      ["big number", `(${"1".repeat(16)}\r\n`, `(${"1".repeat(17)}\r\n`]
    ]
    for (const [what, fits, tooLong] of cases) {
      assert.ok(!(decodeAll(fits, limit) instanceof DecodeFailure), `${what} at the limit`)
      const reason = reasonOf(decodeAll(tooLong, limit))
      assert.match(reason, /maxBulkLength 16/, what)
      assert.match(reason, /maxReplyBulkBytes/, what)
    }
  })

  it("a bulk over the limit fails on its header, before its bytes are buffered", () => {
    const decoder = new Decoder({ maxBulkLength: 1024 })
    decoder.feed(Buffer.from("$1048576\r\n"))
    assert.match(reasonOf(decoder.next()), /maxReplyBulkBytes/)
    assert.strictEqual(decoder.buffered, 0)
  })

  it("an aggregate declaring more than maxAggregateLength fails naming the limit and the client option", () => {
    const limit = { maxAggregateLength: 3 }
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["array", "*3\r\n:1\r\n:2\r\n:3\r\n", "*4\r\n"],
      ["set", "~3\r\n:1\r\n:2\r\n:3\r\n", "~4\r\n"],
      ["push", ">3\r\n+a\r\n+b\r\n+c\r\n", ">4\r\n"],
      ["map", "%3\r\n:1\r\n:1\r\n:2\r\n:2\r\n:3\r\n:3\r\n", "%4\r\n"],
      ["attribute", "|3\r\n:1\r\n:1\r\n:2\r\n:2\r\n:3\r\n:3\r\n:0\r\n", "|4\r\n"],
      ["nested array", "*1\r\n*3\r\n:1\r\n:2\r\n:3\r\n", "*1\r\n*4\r\n"]
    ]
    for (const [what, fits, tooMany] of cases) {
      assert.ok(!(decodeAll(fits, limit) instanceof DecodeFailure), `${what} at the limit`)
      const reason = reasonOf(decodeAll(tooMany, limit))
      assert.match(reason, /maxAggregateLength 3/, what)
      assert.match(reason, /maxReplyElements/, what)
    }
  })

  it("limits hold however the bytes are chunked", () => {
    fc.assert(
      fc.property(cuts, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), (c, bulkLimit, elementLimit) => {
        const items = Array.from({ length: 5 }, (_, i) => "v".repeat(i * 8))
        const bytes = Buffer.from(`*${items.length}\r\n${items.map((s) => `$${s.length}\r\n${s}\r\n`).join("")}`)
        const values = decodeChunks(split(bytes, c), () => false, new Decoder({ maxBulkLength: bulkLimit, maxAggregateLength: elementLimit }))
        assert.strictEqual(values.length, 1)
        const [value] = values
        const fits = elementLimit >= items.length && bulkLimit >= 32
        if (fits) expectSame(value, items)
        else assert.match(reasonOf(value), elementLimit < items.length ? /maxReplyElements/ : /maxReplyBulkBytes/)
      }),
      { numRuns: 500 }
    )
  })

  it("an attribute in front of a push decodes as the push (the attribute is dropped)", () => {
    const attribute = "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n"
    const push = ">3\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nfoo\r\n_\r\n"
    for (const bytesMode of [false, true]) {
      for (const c of [{ byteByByte: true, points: [], plainUint8Array: false }, { byteByByte: false, points: [], plainUint8Array: true }]) {
        const stream = Buffer.from(attribute + push + attribute + attribute + push + "+OK\r\n" + attribute + ":7\r\n")
        const values = decodeChunks(split(stream, c), () => bytesMode)
        assert.strictEqual(values.length, 4)
        const [first, second, third, fourth] = values
        assert.ok(first instanceof Push, `got ${String(first)}`)
        assert.ok(second instanceof Push, `nested attributes: got ${String(second)}`)
        const word = (v: RespValue | undefined) => (v instanceof Uint8Array ? Buffer.from(v).toString() : v)
        assert.strictEqual(word(first.values[0]), "invalidate")
        assert.strictEqual(word(third as RespValue), "OK")
        // in front of anything else, the attribute is kept
        assert.ok(fourth instanceof Attributed)
        assert.strictEqual(fourth.value, 7)
      }
    }
  })
})
