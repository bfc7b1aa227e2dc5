/**
 * A scripted single-node "cluster" for what a real server cannot be made to do on demand: it
 * answers the handshake and discovery as a one-shard cluster owning every slot, and `onCommand`
 * scripts everything else (garbage bytes, endless MOVED loops...).
 */
import { Effect } from "effect"
import * as ScriptedServer from "./ScriptedServer.js"

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`

/** CLUSTER SHARDS (RESP3) for one master owning every slot at 127.0.0.1:port. */
export const shardsReply = (port: number) =>
  "*1\r\n%2\r\n" + bulk("slots") + "*2\r\n:0\r\n:16383\r\n" + bulk("nodes") + "*1\r\n%7\r\n" +
  bulk("id") + bulk("f".repeat(40)) + bulk("port") + `:${port}\r\n` + bulk("ip") + bulk("127.0.0.1") +
  bulk("endpoint") + bulk("127.0.0.1") + bulk("role") + bulk("master") + bulk("replication-offset") + ":0\r\n" +
  bulk("health") + bulk("online")

/** Starts the fake node; `onCommand` returns the raw reply for any non-discovery command. */
export const make = (onCommand: (args: ReadonlyArray<string>, port: number) => string | undefined) =>
  Effect.gen(function*() {
    let port = 0
    const server = yield* ScriptedServer.make((args, client) => {
      const name = args.map((a) => a.toUpperCase()).slice(0, 2).join(" ")
      if (args[0]?.toUpperCase() === "HELLO") return client.send("%1\r\n+server\r\n+redis\r\n")
      if (name === "CLUSTER SHARDS") return client.send(shardsReply(port))
      if (name === "CLUSTER INFO") return client.send(bulk("cluster_state:ok\r\ncluster_current_epoch:1\r\n"))
      if (name === "READONLY" || args[0]?.toUpperCase() === "PING") return client.send("+OK\r\n")
      const reply = onCommand(args, port)
      if (reply !== undefined) client.send(reply)
    })
    port = server.port
    return server
  })
