/**
 * `Command<A>` values: the arguments of one Redis command, its keys (for routing), flags, how it is
 * routed in a cluster, and how its reply decodes to `A`. One constructor per Redis command; the
 * `RedisCluster` service has a method of the same name for each.
 *
 * @since 0.1.0
 */
/**
 * The `Command` class and its flags (`READONLY`, `BLOCKING`, `BYTES`).
 *
 * @since 0.1.0
 * @category models
 */
export { BLOCKING, BYTES, Command, READONLY } from "./internal/command/command.js"
/**
 * The types around a command: arguments, routes, reply decoders, fan-out, per-slot splits and results.
 *
 * @since 0.1.0
 * @category models
 */
export type { Arg, CommandResult, Decoder, FanOut, FanOutCommand, NodeReply, Route, Split } from "./internal/command/command.js"
export * from "./commands/index.js"
