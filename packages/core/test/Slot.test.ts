import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Decoder } from "../src/Resp.js"
import { MAX_SLOT, rangesOf, slot, SLOT_COUNT } from "../src/Slot.js"
import { RawConnection, type RawRedis, startRedis } from "./helpers/rawRedis.js"

describe("slot", () => {
  it("known vectors", () => {
    expect(SLOT_COUNT).toBe(16384)
    expect(MAX_SLOT).toBe(16383)
    expect(slot("123456789")).toBe(0x31c3)
    expect(slot("123456789")).toBe(12739)
    expect(slot("")).toBe(0)
    expect(slot("foo")).toBe(12182)
    expect(slot("bar")).toBe(5061)
  })

  it("hash tags: the first `{` to the next `}`, when not empty", () => {
    expect(slot("user:{1000}:name")).toBe(slot("1000"))
    expect(slot("{user1000}.following")).toBe(slot("{user1000}.followers"))
    expect(slot("foo{bar}")).toBe(slot("bar"))
    expect(slot("foo{}{bar}")).toBe(slot(Buffer.from("foo{}{bar}")))
    expect(slot("foo{}{bar}")).not.toBe(slot("bar"))
    expect(slot("foo{}{bar}")).not.toBe(slot("{bar"))
    expect(slot("foo{{bar}}")).toBe(slot("{bar"))
    expect(slot("foo{bar}{zap}")).toBe(slot("bar"))
    expect(slot("{}")).not.toBe(slot(""))
    expect(slot("foo{")).toBe(slot(Buffer.from("foo{")))
    expect(slot("foo}{")).toBe(slot(Buffer.from("foo}{")))
  })

  it("a Buffer or Uint8Array key gives the slot of its string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (key) => {
        const s = slot(key)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(MAX_SLOT)
        expect(slot(Buffer.from(key))).toBe(s)
        expect(slot(new Uint8Array(Buffer.from(key)))).toBe(s)
      }),
      { numRuns: 2000 }
    )
  })

  it("a lone surrogate hashes as U+FFFD, the bytes it is sent as", () => {
    expect(slot("a\ud800b")).toBe(slot(Buffer.from("a\ufffdb")))
    expect(slot("{\udfff}x")).toBe(slot("\ufffd"))
  })
})

describe("slot against a real server's CLUSTER KEYSLOT", () => {
  let server: RawRedis
  let connection: RawConnection

  beforeAll(async () => {
    server = await startRedis(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
    connection = await RawConnection.open(server.port)
  })

  afterAll(async () => {
    connection?.close()
    await server?.stop()
  })

  /** Keys built from the characters that matter: braces, ASCII, multi-byte UTF-8, lone surrogates. */
  const keyParts = fc.constantFrom("{", "}", "a", "b", "é", "€", "\u{1F600}", "\ud800", "x:", "{}", "}{")
  const stringKey = fc.oneof(
    fc.array(keyParts, { maxLength: 10 }).map((p) => p.join("")),
    fc.string({ unit: "binary", maxLength: 16 })
  )
  const bytesKey = fc.array(fc.oneof(fc.constantFrom(0x7b, 0x7d), fc.integer({ min: 0, max: 255 })), { maxLength: 12 })
    .map((a) => Buffer.from(a))

  it("agrees on generated string and byte keys", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(stringKey, bytesKey), { minLength: 1, maxLength: 50 }), async (keys) => {
        const raw = await connection.exchange(keys.map((k) => ["CLUSTER", "KEYSLOT", k]))
        const decoder = new Decoder()
        decoder.feed(raw)
        for (const key of keys) expect(slot(key)).toBe(decoder.next())
      }),
      { numRuns: 300 }
    )
  })

  it("agrees on the hash tag edge cases", async () => {
    const keys = ["123456789", "foo{}{bar}", "foo{{bar}}", "foo{bar}{zap}", "{}", "{", "}", "}{a}", "{a}{", "a{b", "{{}}", "x{}y}"]
    const raw = await connection.exchange(keys.map((k) => ["CLUSTER", "KEYSLOT", k]))
    const decoder = new Decoder()
    decoder.feed(raw)
    for (const key of keys) expect([key, slot(key)]).toStrictEqual([key, decoder.next()])
  })
})

describe("rangesOf", () => {
  it("compresses slots into maximal inclusive ranges", () => {
    expect(rangesOf([])).toStrictEqual([])
    expect(rangesOf([5])).toStrictEqual([{ start: 5, end: 5 }])
    expect(rangesOf([0, 1, 2, 5])).toStrictEqual([{ start: 0, end: 2 }, { start: 5, end: 5 }])
    expect(rangesOf([7, 3, 4, 3, 8, 0])).toStrictEqual([{ start: 0, end: 0 }, { start: 3, end: 4 }, { start: 7, end: 8 }])
    expect(rangesOf(new Set(Array.from({ length: SLOT_COUNT }, (_, i) => i)))).toStrictEqual([{ start: 0, end: MAX_SLOT }])
  })

  it("covers exactly the input slots with disjoint, sorted, non-adjacent ranges", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: MAX_SLOT }), { maxLength: 300 }), (slots) => {
        const ranges = rangesOf(slots)
        const covered: Array<number> = []
        for (const r of ranges) for (let s = r.start; s <= r.end; s++) covered.push(s)
        expect(covered).toStrictEqual([...new Set(slots)].sort((a, b) => a - b))
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThan(ranges[i - 1]!.end + 1)
      }),
      { numRuns: 1000 }
    )
  })
})
