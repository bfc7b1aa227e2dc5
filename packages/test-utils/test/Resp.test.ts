import { describe, expect, it } from "@effect/vitest"
import { encode, ErrorReply, Parser, type Reply } from "../src/internal/resp.js"

const wire = Buffer.from(
  "+OK\r\n" +
    "-MOVED 3999 127.0.0.1:20001\r\n" +
    ":-42\r\n" +
    "$-1\r\n" +
    "$6\r\nfoo\r\nb\r\n" +
    "$0\r\n\r\n" +
    "*-1\r\n" +
    "*0\r\n" +
    "*3\r\n$1\r\na\r\n*2\r\n:1\r\n-ERR nested\r\n$2\r\né\r\n"
)

const expected: ReadonlyArray<Reply> = [
  "OK",
  new ErrorReply("MOVED 3999 127.0.0.1:20001"),
  -42,
  null,
  "foo\r\nb",
  "",
  null,
  [],
  ["a", [1, new ErrorReply("ERR nested")], "é"]
]

const drain = (parser: Parser, into: Array<Reply>) => {
  for (let next = parser.next(); next !== undefined; next = parser.next()) into.push(next.value)
}

describe("internal RESP2 codec", () => {
  it("encodes commands as arrays of bulk strings", () => {
    expect(encode(["SET", "k", 12, new Uint8Array([0x00, 0xff])]).toString("latin1")).toBe(
      "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$2\r\n\u0000\u00ff\r\n"
    )
    expect(encode(["GET", "é"]).toString("utf8")).toBe("*2\r\n$3\r\nGET\r\n$2\r\né\r\n")
  })

  it("decodes replies split at any byte", () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const parser = new Parser()
      const out: Array<Reply> = []
      parser.push(wire.subarray(0, cut))
      drain(parser, out)
      parser.push(wire.subarray(cut))
      drain(parser, out)
      expect(out).toEqual(expected)
    }
    const parser = new Parser()
    const out: Array<Reply> = []
    for (const byte of wire) {
      parser.push(Buffer.from([byte]))
      drain(parser, out)
    }
    expect(out).toEqual(expected)
  })

  it("rejects bytes that are not RESP2", () => {
    const parser = new Parser()
    parser.push(Buffer.from("?what\r\n"))
    expect(() => parser.next()).toThrow(/unexpected RESP2 type byte/)
  })
})
