import * as assert from "node:assert/strict"
import fc from "fast-check"
import { describe, it } from "vitest"
import { Decoder } from "../src/Resp.js"
import { cuts, decodeChunks, expectSame, split, wire, wireStream } from "./helpers/respArbitraries.js"

// Hand-built RESP (every wire form a server may use) → chunks split anywhere → Decoder.
const RUNS = 10_000

describe("Decoder on generated wire forms", () => {
  it("decodes any value split into any chunks, in both modes", () => {
    fc.assert(
      fc.property(wire, fc.boolean(), cuts, (w, bytes, c) => {
        const decoder = new Decoder()
        const values = decodeChunks(split(w.bytes, c), () => bytes, decoder)
        expectSame(values, [bytes ? w.bin : w.text])
        assert.strictEqual(decoder.buffered, 0)
        assert.strictEqual(decoder.next(), undefined)
      }),
      { numRuns: RUNS }
    )
  })

  it("decodes several concatenated values, each in its own mode", () => {
    fc.assert(
      fc.property(wireStream, cuts, (stream, c) => {
        const bytes = Buffer.concat(stream.map(([w]) => w.bytes))
        const values = decodeChunks(split(bytes, c), (i) => stream[i]?.[1] ?? false)
        expectSame(values, stream.map(([w, bin]) => (bin ? w.bin : w.text)))
      }),
      { numRuns: RUNS }
    )
  })

  it("with transient chunks (one read buffer reused for every read), decodes the same values and keeps none of its bytes", () => {
    fc.assert(
      fc.property(wireStream, cuts, (stream, c) => {
        const bytes = Buffer.concat(stream.map(([w]) => w.bytes))
        const decoder = new Decoder({ transientChunks: true })
        const reused = Buffer.alloc(Math.max(1, bytes.length))
        const values: Array<unknown> = []
        for (const chunk of split(bytes, c)) {
          // The socket reads into the same buffer each time; what was read before is overwritten.
          reused.fill(0xee)
          reused.set(chunk)
          decoder.feed(reused.subarray(0, chunk.length))
          for (;;) {
            const value = decoder.next(stream[values.length]?.[1] ?? false)
            if (value === undefined) break
            values.push(value)
          }
          decoder.release()
        }
        // Garbage over the buffer after the last read must not reach any value already returned.
        reused.fill(0x41)
        expectSame(values, stream.map(([w, bin]) => (bin ? w.bin : w.text)))
        assert.strictEqual(decoder.buffered, 0)
      }),
      { numRuns: RUNS }
    )
  })
})
