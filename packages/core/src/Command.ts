/**
 * `Command<A>` values: the arguments of one Redis command, its keys (for routing), flags, how it is
 * routed in a cluster, and how its reply decodes to `A`. One constructor per Redis command; the
 * `RedisCluster` service has a method of the same name for each.
 *
 * @since 0.1.0
 */
export { BLOCKING, BYTES, Command, READONLY } from "./internal/command.js"
export type { Arg, CommandResult, Decoder, FanOut, FanOutCommand, NodeReply, Route, Split } from "./internal/command.js"
export * from "./commands/index.js"
