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
})
