import * as assert from "node:assert/strict"
import fc from "fast-check"
import { describe, it } from "vitest"
import { Decoder } from "../src/Resp.js"
import { cuts, decodeChunks, expectSame, noInternalError, split, wireStream } from "./helpers/respArbitraries.js"

// Truncation must never complete a value; garbage must end in values or a DecodeFailure, never an exception or a hang.
const RUNS = 10_000

describe("Decoder on truncated and corrupted input", () => {
  it("never completes a truncated value: the values before it, then undefined", () => {
    fc.assert(
      fc.property(wireStream, fc.nat(), cuts, (stream, cutAt, c) => {
        const complete = stream.slice(0, -1)
        const last = stream[stream.length - 1]![0].bytes
        const truncated = Buffer.concat([...complete.map(([w]) => w.bytes), last.subarray(0, cutAt % last.length)])
        const decoder = new Decoder()
        const values = decodeChunks(split(truncated, c), (i) => stream[i]?.[1] ?? false, decoder)
        expectSame(values, complete.map(([w, bin]) => (bin ? w.bin : w.text)))
        assert.strictEqual(decoder.next(), undefined)
        // ...and the rest of the bytes completes it.
        decoder.feed(last.subarray(cutAt % last.length))
        const lastMode = stream[stream.length - 1]![1]
        const lastValue = decoder.next(lastMode)
        const expected = stream[stream.length - 1]![0]
        expectSame(lastValue, lastMode ? expected.bin : expected.text)
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
          intact.push(bin ? w.bin : w.text)
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

