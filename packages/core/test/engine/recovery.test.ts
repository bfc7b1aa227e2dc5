import { describe, expect, it } from "@effect/vitest"
import { ClusterError } from "@keyslot/core"
import { ranScript, recoveryOf } from "../../src/internal/engine/recovery.js"

// The one classifier every path uses (executor, pipeline, transaction, scan, pub/sub): these are
// the decisions that used to be copied, and had drifted (READONLY refreshed as "connection-lost"
// in pipelines, "readonly" in the executor).
const at = { host: "127.0.0.1", port: 7000, command: "SET" }

describe("recoveryOf", () => {
  it("follows MOVED and ASK", () => {
    expect(recoveryOf(new ClusterError.MovedError({ slot: 1, host: "h", port: 1 }), { readOnly: false })._tag).toBe("Redirect")
    expect(recoveryOf(new ClusterError.AskError({ slot: 1, host: "h", port: 1 }), { readOnly: true })._tag).toBe("Redirect")
  })

  it("retries transient states by their own schedule, refreshing where the map is wrong", () => {
    const reply = (r: string) => ({ ...at, reply: r })
    expect(recoveryOf(new ClusterError.TryAgainError(reply("TRYAGAIN")), { readOnly: false })).toMatchObject({ _tag: "Retry", kind: "tryAgain", refresh: undefined })
    expect(recoveryOf(new ClusterError.LoadingError(reply("LOADING")), { readOnly: false })).toMatchObject({ _tag: "Retry", kind: "loading", refresh: undefined })
    expect(recoveryOf(new ClusterError.ClusterDownError(reply("CLUSTERDOWN")), { readOnly: false })).toMatchObject({ _tag: "Retry", kind: "clusterDown", refresh: "cluster-down", awaitRefresh: true })
    expect(recoveryOf(new ClusterError.MasterDownError(reply("MASTERDOWN")), { readOnly: true })).toMatchObject({ _tag: "Retry", kind: "clusterDown", refresh: "cluster-down", awaitRefresh: true })
    expect(recoveryOf(new ClusterError.ReadOnlyError(reply("READONLY")), { readOnly: false })).toMatchObject({ _tag: "Retry", kind: "reconnect", refresh: "readonly", awaitRefresh: true })
  })

  it("never sends a write again once it may have run", () => {
    const written = new ClusterError.ConnectionError({ ...at, written: true, reason: "reset" })
    const unwritten = new ClusterError.ConnectionError({ ...at, written: false, reason: "reset" })
    expect(recoveryOf(written, { readOnly: false })).toMatchObject({ _tag: "Fail" })
    expect(recoveryOf(written, { readOnly: true })).toMatchObject({ _tag: "Retry", kind: "reconnect", refresh: "connection-lost", awaitRefresh: false })
    expect(recoveryOf(unwritten, { readOnly: false })).toMatchObject({ _tag: "Retry", kind: "reconnect" })
  })

  it("fails a timed-out command, refreshing unless it was a blocking one; a subscription retries", () => {
    const timeout = new ClusterError.TimeoutError({ ...at, timeoutMillis: 10 })
    expect(recoveryOf(timeout, { readOnly: true })).toEqual({ _tag: "Fail", refresh: "timeout" })
    expect(recoveryOf(timeout, { readOnly: true, blocking: true })).toEqual({ _tag: "Fail", refresh: undefined })
    expect(recoveryOf(timeout, { readOnly: true, persistent: true })).toMatchObject({ _tag: "Retry", refresh: "timeout" })
  })

  it("treats every other error as final", () => {
    expect(recoveryOf(new ClusterError.ReplyError({ ...at, reply: "WRONGTYPE Operation against a key" }), { readOnly: false })).toEqual({ _tag: "Fail", refresh: undefined })
    expect(recoveryOf(new ClusterError.CrossSlotError({ command: "MGET", slots: [1, 2] }), { readOnly: true })._tag).toBe("Fail")
  })

  it("treats a writing script's TRYAGAIN, CLUSTERDOWN, MASTERDOWN and LOADING as its own reply: final", () => {
    const reply = { ...at, reply: "TRYAGAIN x" }
    for (const name of ["EVAL", "EVALSHA", "FCALL"]) {
      const error = new ClusterError.TryAgainError(reply)
      expect(ranScript({ name }, error), name).toBe(true)
      expect(recoveryOf(error, { readOnly: false, ran: ranScript({ name }, error) }), name).toEqual({ _tag: "Fail", refresh: undefined })
    }
    // Read-only scripts cannot have written; redirects and READONLY happen before a script runs.
    expect(ranScript({ name: "EVAL_RO" }, new ClusterError.TryAgainError(reply))).toBe(false)
    expect(ranScript({ name: "FCALL_RO" }, new ClusterError.ClusterDownError(reply))).toBe(false)
    expect(ranScript({ name: "EVAL" }, new ClusterError.MovedError({ slot: 1, host: "h", port: 1 }))).toBe(false)
    expect(ranScript({ name: "EVAL" }, new ClusterError.ReadOnlyError(reply))).toBe(false)
  })
})
