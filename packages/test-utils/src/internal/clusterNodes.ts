/**
 * Parsing `CLUSTER NODES`.
 *
 * @internal
 */

/**
 * One line of `CLUSTER NODES`. @internal
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeLine {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly busPort: number
  readonly hostname: string | undefined
  readonly flags: ReadonlyArray<string>
  readonly role: "master" | "replica"
  readonly masterId: string | undefined
  readonly myself: boolean
  readonly linkState: string
  /** Owned slot ranges, inclusive, ascending; migrating/importing markers are left out. */
  readonly slots: ReadonlyArray<readonly [number, number]>
}

/**
 * Parses `CLUSTER NODES` output (`<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent>
 * <pong-recv> <config-epoch> <link-state> <slot>...`).
 *
 * @internal
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseClusterNodes = (text: string): Array<NodeLine> => {
  const lines: Array<NodeLine> = []
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "") continue
    const parts = line.split(" ")
    const [id, address, flagText, master, , , , linkState] = parts
    if (id === undefined || address === undefined || flagText === undefined || master === undefined) continue
    const at = address.indexOf("@")
    const hostPort = at < 0 ? address : address.slice(0, at)
    const busPart = at < 0 ? "" : address.slice(at + 1)
    const [busText, hostname] = busPart.split(",")
    const colon = hostPort.lastIndexOf(":")
    const flags = flagText.split(",")
    const slots: Array<readonly [number, number]> = []
    for (const s of parts.slice(8)) {
      if (s.startsWith("[")) continue
      const dash = s.indexOf("-")
      if (dash < 0) slots.push([Number(s), Number(s)])
      else slots.push([Number(s.slice(0, dash)), Number(s.slice(dash + 1))])
    }
    slots.sort((a, b) => a[0] - b[0])
    lines.push({
      id,
      host: colon < 0 ? hostPort : hostPort.slice(0, colon),
      port: colon < 0 ? 0 : Number(hostPort.slice(colon + 1)),
      busPort: Number(busText ?? 0),
      hostname: hostname === undefined || hostname === "" ? undefined : hostname,
      flags,
      role: flags.includes("slave") ? "replica" : "master",
      masterId: master === "-" ? undefined : master,
      myself: flags.includes("myself"),
      linkState: linkState ?? "",
      slots
    })
  }
  return lines
}

/**
 * `0-5460,5461-10922` style rendering, merging adjacent ranges. @internal
 *
 * @since 0.1.0
 * @category parsing
 */
export const renderSlots = (slots: ReadonlyArray<readonly [number, number]>): string => {
  const merged: Array<[number, number]> = []
  for (const [a, b] of slots) {
    const last = merged[merged.length - 1]
    if (last !== undefined && last[1] + 1 >= a) last[1] = Math.max(last[1], b)
    else merged.push([a, b])
  }
  return merged.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",")
}
