import { describe, expect, it } from "vitest"
import {
  Attributed,
  CommandWriter,
  DecodeFailure,
  Decoder,
  type DecoderOptions,
  encodeCommand,
  encodeValue,
  ErrorReply,
  Push,
  type RespValue,
  VerbatimString
} from "../src/Resp.js"
import { decodeChunks, expectSame } from "./helpers/respArbitraries.js"

const bytes = (s: string): Buffer => Buffer.from(s, "latin1")

/** Decodes `input` fed whole and byte by byte; both must agree. Returns the values. */
const decode = (input: string | Buffer, mode = false, options?: DecoderOptions): Array<RespValue | DecodeFailure> => {
  const b = typeof input === "string" ? bytes(input) : input
  const whole = decodeChunks([b], () => mode, new Decoder(options))
  const single = decodeChunks([...b].map((x) => Uint8Array.of(x)), () => mode, new Decoder(options))
  expectSame(single, whole)
  return whole
}

/** The one value `input` decodes to. */
const one = (input: string | Buffer, mode = false): RespValue | DecodeFailure => {
  const values = decode(input, mode)
  expect(values).toHaveLength(1)
  return values[0]!
}

/** The failure reason of `input`. */
const failure = (input: string | Buffer, options?: DecoderOptions): string => {
  const values = decode(input, false, options)
  const last = values[values.length - 1]
  expect(last).toBeInstanceOf(DecodeFailure)
  return (last as DecodeFailure).reason
}

describe("Decoder: RESP2", () => {
  it("simple string, error, integer, bulk string, array", () => {
    expect(one("+OK\r\n")).toBe("OK")
    expect(one("+\r\n")).toBe("")
    expect(one("-ERR unknown command 'FOO'\r\n")).toStrictEqual(new ErrorReply("ERR unknown command 'FOO'"))
    expect(one(":0\r\n")).toBe(0)
    expect(one(":-42\r\n")).toBe(-42)
    expect(one(":+7\r\n")).toBe(7)
    expect(one("$5\r\nhello\r\n")).toBe("hello")
    expect(one("$0\r\n\r\n")).toBe("")
    expect(one("$4\r\na\r\nb\r\n")).toBe("a\r\nb")
    expect(one("*3\r\n:1\r\n$1\r\nx\r\n*1\r\n+y\r\n")).toStrictEqual([1, "x", ["y"]])
    expect(one("*0\r\n")).toStrictEqual([])
  })

  it("both RESP2 nulls", () => {
    expect(one("$-1\r\n")).toBeNull()
    expect(one("*-1\r\n")).toBeNull()
    expect(one("*2\r\n$-1\r\n*-1\r\n")).toStrictEqual([null, null])
  })

  it("integers: number when safe, bigint beyond", () => {
    expect(one(`:${Number.MAX_SAFE_INTEGER}\r\n`)).toBe(Number.MAX_SAFE_INTEGER)
    expect(one(`:${Number.MIN_SAFE_INTEGER}\r\n`)).toBe(Number.MIN_SAFE_INTEGER)
    expect(one(":9007199254740992\r\n")).toBe(9007199254740992n)
    expect(one(":-9223372036854775808\r\n")).toBe(-9223372036854775808n)
    expect(one(":999999999999999\r\n")).toBe(999999999999999)
    expect(one(":0000000000000000001\r\n")).toBe(1)
    expect(Object.is(one(":-0\r\n"), 0)).toBe(true)
  })

  it("UTF-8 and binary bulk strings", () => {
    const euro = Buffer.concat([bytes("$3\r\n"), Buffer.from("€"), bytes("\r\n")])
    expect(one(euro)).toBe("€")
    expect(one(euro, true)).toStrictEqual(Buffer.from("€"))
    const long = "ü".repeat(100)
    expect(one(Buffer.concat([bytes("$200\r\n"), Buffer.from(long), bytes("\r\n")]))).toBe(long)
    expect(one("$3\r\n\x00\xff\r\r\n", true)).toStrictEqual(Buffer.from([0, 255, 13]))
  })

  it("several replies in one chunk and one reply over many", () => {
    const d = new Decoder()
    d.feed(bytes("+OK\r\n:1\r\n$3\r\nfoo\r\n$3\r\nba"))
    expect(d.next()).toBe("OK")
    expect(d.next()).toBe(1)
    expect(d.next()).toBe("foo")
    expect(d.next()).toBeUndefined()
    expect(d.buffered).toBe(6)
    d.feed(bytes("r"))
    expect(d.next()).toBeUndefined()
    d.feed(bytes("\r"))
    expect(d.next()).toBeUndefined()
    d.feed(bytes("\n*2\r\n"))
    expect(d.next()).toBe("bar")
    expect(d.next()).toBeUndefined()
    d.feed(bytes(":1\r\n"))
    expect(d.next()).toBeUndefined()
    d.feed(new Uint8Array(0))
    d.feed(new Uint8Array(bytes(":2\r\n")))
    expect(d.next()).toStrictEqual([1, 2])
    expect(d.next()).toBeUndefined()
    expect(d.buffered).toBe(0)
  })
})

describe("Decoder: RESP3", () => {
  it("null, booleans, doubles, big numbers", () => {
    expect(one("_\r\n")).toBeNull()
    expect(one("#t\r\n")).toBe(true)
    expect(one("#f\r\n")).toBe(false)
    expect(one(",3.141\r\n")).toBe(3.141)
    expect(one(",-1.5e-10\r\n")).toBe(-1.5e-10)
    expect(one(",1E+300\r\n")).toBe(1e300)
    expect(one(",10\r\n")).toBe(10)
    expect(one(",inf\r\n")).toBe(Infinity)
    expect(one(",-inf\r\n")).toBe(-Infinity)
    expect(one(",nan\r\n")).toBeNaN()
    expect(Object.is(one(",-0\r\n"), -0)).toBe(true)
    expect(one("(1234567999999999999999999999999999999\r\n")).toBe(1234567999999999999999999999999999999n)
    expect(one("(-12\r\n")).toBe(-12n)
  })

  it("bulk error and verbatim string", () => {
    expect(one("!22\r\nSYNTAX invalid\r\nsyntax\r\n")).toStrictEqual(new ErrorReply("SYNTAX invalid\r\nsyntax"))
    expect(one("=15\r\ntxt:Some string\r\n")).toStrictEqual(new VerbatimString("txt", "Some string"))
    expect(one("=4\r\nmkd:\r\n")).toStrictEqual(new VerbatimString("mkd", ""))
    expect(one("=7\r\ntxt:abc\r\n", true)).toStrictEqual(new VerbatimString("txt", Buffer.from("abc")))
  })

  it("map, set, push", () => {
    expect(one("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n")).toStrictEqual(new Map<RespValue, RespValue>([["a", 1], ["b", 2]]))
    expect(one("~3\r\n:1\r\n:2\r\n:3\r\n")).toStrictEqual(new Set([1, 2, 3]))
    expect(one(">3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n")).toStrictEqual(new Push(["message", "ch", "hi"]))
    expect(one("%0\r\n")).toStrictEqual(new Map())
    expect(one("~0\r\n")).toStrictEqual(new Set())
    expect(one(">0\r\n")).toStrictEqual(new Push([]))
    const nested = one("%1\r\n*2\r\n:1\r\n:2\r\n%1\r\n+k\r\n~1\r\n#t\r\n")
    expect(nested).toStrictEqual(new Map<RespValue, RespValue>([[[1, 2], new Map([["k", new Set([true])]])]]))
  })

  it("attributes attach to the following value, at top level and nested", () => {
    const attrs = new Map<RespValue, RespValue>([["key-popularity", new Map<RespValue, RespValue>([["a", 0.1923]])]])
    expect(one("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n"))
      .toStrictEqual(new Attributed(attrs, [2039123, 9543892]))
    expect(one("*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n+v\r\n:3\r\n"))
      .toStrictEqual([1, new Attributed(new Map([["ttl", 3600]]), "v"), 3])
    expect(one("%1\r\n|0\r\n+k\r\n|1\r\n+a\r\n+b\r\n+v\r\n"))
      .toStrictEqual(new Map([[new Attributed(new Map(), "k"), new Attributed(new Map([["a", "b"]]), "v")]]))
    // An attribute on an attributed value nests.
    expect(one("|1\r\n+x\r\n:1\r\n|1\r\n+y\r\n:2\r\n_\r\n"))
      .toStrictEqual(new Attributed(new Map([["x", 1]]), new Attributed(new Map([["y", 2]]), null)))
    // An aggregate as the attributed value, closed together with its parent.
    expect(one("*1\r\n|1\r\n+a\r\n+b\r\n*1\r\n:1\r\n")).toStrictEqual([new Attributed(new Map([["a", "b"]]), [1])])
  })

  it("bytes mode covers every string of the top-level value, errors stay text", () => {
    const value = one("%2\r\n+k\r\n*2\r\n$1\r\nv\r\n-ERR x\r\n$1\r\nz\r\n=5\r\ntxt:y\r\n", true)
    expect(value).toStrictEqual(
      new Map<RespValue, RespValue>([
        [Buffer.from("k"), [Buffer.from("v"), new ErrorReply("ERR x")]],
        [Buffer.from("z"), new VerbatimString("txt", Buffer.from("y"))]
      ])
    )
  })

  it("the mode is the one asked for when a value starts, even if it straddles calls", () => {
    const d = new Decoder()
    d.feed(bytes("*2\r\n$1\r\na\r\n"))
    expect(d.next(true)).toBeUndefined()
    d.feed(bytes("$1\r\nb\r\n+c\r\n"))
    expect(d.next(false)).toStrictEqual([Buffer.from("a"), Buffer.from("b")])
    expect(d.next(false)).toBe("c")
  })

  it("small byte values are copies; the chunk can be reused", () => {
    const chunk = bytes("$3\r\nabc\r\n+ok\r\n")
    const d = new Decoder()
    d.feed(chunk)
    const a = d.next(true) as Buffer
    const b = d.next(true) as Buffer
    chunk.fill(0)
    expect(a.toString()).toBe("abc")
    expect(b.toString()).toBe("ok")
  })
})

describe("Decoder: invalid bytes", () => {
  it("names the unknown type byte and its stream offset", () => {
    const d = new Decoder()
    for (const part of ["+OK\r\n", "+OK\r\n", ":1234\r\n", "A"]) d.feed(bytes(part))
    expect(d.next()).toBe("OK")
    expect(d.next()).toBe("OK")
    expect(d.next()).toBe(1234)
    expect(d.next()).toStrictEqual(new DecodeFailure("unknown RESP type byte 0x41 at offset 17"))
  })

  it("is unusable after a failure, until reset", () => {
    const d = new Decoder()
    d.feed(bytes("?\r\n"))
    const f = d.next()
    expect(f).toBeInstanceOf(DecodeFailure)
    d.feed(bytes("+OK\r\n"))
    expect(d.next()).toBe(f)
    d.reset()
    d.feed(bytes("+OK\r\n"))
    expect(d.next()).toBe("OK")
  })

  it("bad lengths", () => {
    expect(failure("$-2\r\n")).toMatch(/invalid bulk string length: negative at offset 1/)
    expect(failure("*-5\r\n")).toMatch(/invalid array length: negative/)
    expect(failure("*-10\r\n")).toMatch(/invalid array length: negative/)
    expect(failure("%-1\r\n")).toMatch(/invalid map length -1/)
    expect(failure("!-1\r\n")).toMatch(/invalid bulk error length -1/)
    expect(failure("$1a\r\n")).toMatch(/invalid byte 0x61 in bulk string length at offset 2/)
    expect(failure("$\r\n")).toMatch(/invalid byte 0x0D in bulk string length/)
    expect(failure("* 1\r\n")).toMatch(/invalid byte 0x20 in array length/)
    expect(failure("$3\rX")).toMatch(/expected \\n after \\r, got 0x58/)
  })

  it("limits: maxBulkLength, maxAggregateLength, maxDepth", () => {
    expect(failure("$11\r\n", { maxBulkLength: 10 })).toMatch(/bulk string length exceeds maxBulkLength 10/)
    expect(decode("$10\r\n0123456789\r\n", false, { maxBulkLength: 10 })).toStrictEqual(["0123456789"])
    // Rejected as soon as the digits pass the limit, without waiting for the line to end.
    expect(failure("$99999999999999999999")).toMatch(/exceeds maxBulkLength 536870912/)
    expect(failure("=100\r\n", { maxBulkLength: 10 })).toMatch(/verbatim string length exceeds maxBulkLength/)
    expect(failure("+0123456789X\r\n", { maxBulkLength: 10 })).toMatch(/simple string longer than maxBulkLength 10 bytes/)
    expect(failure("-0123456789XYZ", { maxBulkLength: 10 })).toMatch(/error longer than maxBulkLength 10 bytes/)
    expect(failure("*4\r\n", { maxAggregateLength: 3 })).toMatch(/array length exceeds maxAggregateLength 3/)
    expect(failure("%2\r\n", { maxAggregateLength: 1 })).toMatch(/map length exceeds maxAggregateLength 1/)
    expect(failure("*99999999999\r\n")).toMatch(/array length exceeds maxAggregateLength/)
    expect(decode("*1\r\n*1\r\n*1\r\n:1\r\n", false, { maxDepth: 3 })).toStrictEqual([[[[1]]]])
    expect(failure("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", { maxDepth: 3 })).toMatch(/nesting deeper than maxDepth 3 at offset 12/)
    expect(failure("|1\r\n+a\r\n+b\r\n*1\r\n*1\r\n:1\r\n", { maxDepth: 2 })).toMatch(/maxDepth 2/)
    // The default depth limit stops a deep bomb.
    expect(failure("*1\r\n".repeat(1000))).toMatch(/maxDepth 128/)
  })

  it("bulk payload not followed by \\r\\n", () => {
    expect(failure("$3\r\nfooX\r\n")).toMatch(/expected \\r\\n after bulk string payload, got 0x58 0x0D at offset 7/)
    expect(failure("$3\r\nfoo\rX")).toMatch(/expected \\r\\n after bulk string payload/)
    expect(failure("!1\r\nxx\r\n")).toMatch(/after bulk error payload/)
  })

  it("malformed scalars", () => {
    expect(failure("_x\r\n")).toMatch(/null/)
    expect(failure("#x\r\n")).toMatch(/boolean/)
    expect(failure("#tt\r\n")).toMatch(/boolean/)
    for (const d of [",\r\n", ",1.2.3\r\n", ",0x10\r\n", ",Infinity\r\n", ", 1\r\n", ",1e\r\n"]) {
      expect(failure(d)).toMatch(/invalid double/)
    }
    expect(failure("(12a\r\n")).toMatch(/invalid big number/)
    expect(failure("(\r\n")).toMatch(/invalid big number/)
    expect(failure(":\r\n")).toMatch(/invalid byte 0x0D in integer/)
    expect(failure(":-\r\n")).toMatch(/in integer/)
    expect(failure(":12x\r\n")).toMatch(/invalid byte 0x78 in integer/)
    expect(failure(":" + "1".repeat(40))).toMatch(/integer longer than 32 bytes/)
    expect(failure("=3\r\ntxt\r\n")).toMatch(/verbatim string without a 3-byte format/)
    expect(failure("=5\r\ntxt-a\r\n")).toMatch(/verbatim string without a 3-byte format/)
    expect(failure("+OK\rX")).toMatch(/expected \\n after \\r/)
    expect(failure(",1.5\r\r\n")).toMatch(/expected \\n after \\r, got 0x0D/)
  })

  it("streamed RESP3 frames fail instead of hanging", () => {
    expect(failure("$?\r\n;4\r\nHell\r\n;0\r\n")).toMatch(/streamed bulk string/)
    expect(failure("*?\r\n:1\r\n.\r\n")).toMatch(/streamed array/)
    expect(failure("%?\r\n")).toMatch(/streamed map/)
    expect(failure("~?\r\n")).toMatch(/streamed set/)
    expect(failure(";4\r\nHell\r\n")).toMatch(/streamed RESP3 frames \(type byte 0x3B\)/)
    expect(failure(".\r\n")).toMatch(/type byte 0x2E/)
  })

  it("an incomplete line that turns out invalid fails as soon as its \\r arrives", () => {
    const d = new Decoder()
    d.feed(bytes("+OK"))
    expect(d.next()).toBeUndefined()
    d.feed(bytes(" still going"))
    expect(d.next()).toBeUndefined()
    d.feed(bytes("\rX"))
    expect(d.next()).toBeInstanceOf(DecodeFailure)
  })
})

// Thousands of chunks per value: a decoder that re-copies or re-parses the backlog on every chunk is quadratic here.
describe("Decoder: large inputs stay linear", () => {
  it("a 32 MiB bulk string in 4 KiB chunks", () => {
    const size = 32 * 1024 * 1024
    const payload = Buffer.alloc(size, 0x61)
    const all = Buffer.concat([bytes(`$${size}\r\n`), payload, bytes("\r\n+after\r\n")])
    const d = new Decoder()
    const started = performance.now()
    let value: RespValue | DecodeFailure | undefined
    for (let i = 0; i < all.length; i += 4096) {
      d.feed(all.subarray(i, i + 4096))
      value ??= d.next(true)
    }
    // Linear work is well under a second; re-copying or re-parsing per chunk would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect((value as Buffer).length).toBe(size)
    expect((value as Buffer).equals(payload)).toBe(true)
    expect(d.next()).toBe("after")
  })

  it("a 128 MiB bulk string read into one reused 64 KiB buffer (transient chunks)", () => {
    const size = 128 * 1024 * 1024
    const payload = Buffer.alloc(size, 0x61)
    const all = Buffer.concat([bytes(`$${size}\r\n`), payload, bytes("\r\n+after\r\n")])
    const d = new Decoder({ transientChunks: true })
    const read = Buffer.alloc(64 * 1024)
    const started = performance.now()
    let value: RespValue | DecodeFailure | undefined
    for (let i = 0; i < all.length; i += read.length) {
      const n = all.copy(read, 0, i, i + read.length)
      d.feed(read.subarray(0, n))
      value ??= d.next(true)
      d.release()
    }
    read.fill(0)
    // Copying each read once is linear (~1.5 s); copying all that is buffered at every release took ~35 s.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect((value as Buffer).length).toBe(size)
    expect((value as Buffer).equals(payload)).toBe(true)
    expect(d.next()).toBe("after")
  })

  it("a 200 000 element array in 1 KiB chunks", () => {
    const n = 200_000
    const all = Buffer.from(`*${n}\r\n` + "$5\r\nhello\r\n".repeat(n))
    const d = new Decoder()
    const started = performance.now()
    let value: RespValue | DecodeFailure | undefined
    for (let i = 0; i < all.length; i += 1024) {
      d.feed(all.subarray(i, i + 1024))
      value ??= d.next()
    }
    // Linear work is well under a second; re-copying or re-parsing per chunk would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect((value as Array<string>).length).toBe(n)
    expect((value as Array<string>)[n - 1]).toBe("hello")
  })

  it("an 8 MiB simple string line in 512 byte chunks", () => {
    const size = 8 * 1024 * 1024
    const all = Buffer.concat([bytes("+"), Buffer.alloc(size, 0x62), bytes("\r\n")])
    const d = new Decoder()
    const started = performance.now()
    let value: RespValue | DecodeFailure | undefined
    for (let i = 0; i < all.length; i += 512) {
      d.feed(all.subarray(i, i + 512))
      value ??= d.next()
    }
    // Linear work is well under a second; re-copying or re-parsing per chunk would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect((value as string).length).toBe(size)
  })
})

describe("CommandWriter / encodeCommand", () => {
  it("writes arrays of bulk strings", () => {
    expect(Buffer.from(encodeCommand(["SET", "k", "v"])).toString("latin1")).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    expect(Buffer.from(encodeCommand(["INCRBY", "n", -12])).toString("latin1")).toBe("*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$3\r\n-12\r\n")
    expect(Buffer.from(encodeCommand(["ZADD", "z", Infinity, "a", -Infinity, "b", 1.5, "c"])).toString("latin1"))
      .toBe("*8\r\n$4\r\nZADD\r\n$1\r\nz\r\n$4\r\n+inf\r\n$1\r\na\r\n$4\r\n-inf\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n")
    expect(Buffer.from(encodeCommand(["GET", "€"]))).toStrictEqual(Buffer.from("*2\r\n$3\r\nGET\r\n$3\r\n€\r\n"))
    expect(Buffer.from(encodeCommand(["SET", Uint8Array.of(0, 13, 10), 0]))).toStrictEqual(
      Buffer.concat([bytes("*3\r\n$3\r\nSET\r\n$3\r\n"), Buffer.from([0, 13, 10]), bytes("\r\n$1\r\n0\r\n")])
    )
    expect(Buffer.from(encodeCommand([]))).toStrictEqual(bytes("*0\r\n"))
    expect(Buffer.from(encodeCommand([""]))).toStrictEqual(bytes("*1\r\n$0\r\n\r\n"))
  })

  it("queues many commands in one buffer and grows past the slab", () => {
    const w = new CommandWriter()
    const big = "x".repeat(200_000)
    w.push(["SET", "a", "1"])
    const small = w.length
    w.push(["SET", "b", big])
    w.push(["SET", "c", Buffer.alloc(100_000, 1)])
    w.push(["SET", "é".repeat(50_000), 2 ** 53 - 1])
    const out = w.take()
    expect(w.length).toBe(0)
    const values = decodeChunks([out], () => false)
    expect(values.length).toBe(4)
    expect(values[0]).toStrictEqual(["SET", "a", "1"])
    expect(values[1]).toStrictEqual(["SET", "b", big])
    expect((values[2] as Array<string>)[2]!.length).toBe(100_000)
    expect(values[3]).toStrictEqual(["SET", "é".repeat(50_000), "9007199254740991"])
    expect(out.length).toBeGreaterThan(small)
  })

  it("a burst of takes: earlier buffers are never overwritten", () => {
    const w = new CommandWriter()
    const taken: Array<Uint8Array> = []
    for (let i = 0; i < 5000; i++) {
      w.push(["SET", `key:${i}`, i])
      taken.push(w.take())
    }
    taken.forEach((t, i) => expect(decodeChunks([t], () => false)).toStrictEqual([["SET", `key:${i}`, String(i)]]))
  })
})

describe("encodeValue", () => {
  const text = (v: RespValue, protocol?: 2 | 3) => Buffer.from(encodeValue(v, protocol)).toString("latin1")

  it("writes RESP3 forms", () => {
    expect(text(null)).toBe("_\r\n")
    expect(text(true)).toBe("#t\r\n")
    expect(text(42)).toBe(":42\r\n")
    expect(text(1.5)).toBe(",1.5\r\n")
    expect(text(-0)).toBe(",-0\r\n")
    expect(text(NaN)).toBe(",nan\r\n")
    expect(text(-Infinity)).toBe(",-inf\r\n")
    expect(text(12n)).toBe("(12\r\n")
    expect(text("hi")).toBe("$2\r\nhi\r\n")
    expect(text(new ErrorReply("ERR x"))).toBe("-ERR x\r\n")
    expect(text(new ErrorReply("a\nb"))).toBe("!3\r\na\nb\r\n")
    expect(text(new VerbatimString("txt", "ok"))).toBe("=6\r\ntxt:ok\r\n")
    expect(text(new Map([["a", 1]]))).toBe("%1\r\n$1\r\na\r\n:1\r\n")
    expect(text(new Set([1]))).toBe("~1\r\n:1\r\n")
    expect(text(new Push(["x"]))).toBe(">1\r\n$1\r\nx\r\n")
    expect(text(new Attributed(new Map([["t", 1]]), "v"))).toBe("|1\r\n$1\r\nt\r\n:1\r\n$1\r\nv\r\n")
  })

  it("writes RESP2 forms", () => {
    expect(text(null, 2)).toBe("$-1\r\n")
    expect(text(true, 2)).toBe(":1\r\n")
    expect(text(1.5, 2)).toBe("$3\r\n1.5\r\n")
    expect(text(12n, 2)).toBe(":12\r\n")
    expect(text(10n ** 30n, 2)).toBe("$31\r\n1000000000000000000000000000000\r\n")
    expect(text(new ErrorReply("a\r\nb"), 2)).toBe("-a  b\r\n")
    expect(text(new Map([["a", 1]]), 2)).toBe("*2\r\n$1\r\na\r\n:1\r\n")
    expect(text(new Push(["x"]), 2)).toBe("*1\r\n$1\r\nx\r\n")
    expect(text(new Attributed(new Map([["t", 1]]), "v"), 2)).toBe("$1\r\nv\r\n")
    expect(text(new VerbatimString("txt", "ok"), 2)).toBe("$2\r\nok\r\n")
  })
})
