/**
 * The kinds of pub/sub frames (`message`, `subscribe`, ...), recognized from the first element's
 * bytes without decoding it to a string: it runs once per message. It lives at the wire level
 * because the connection needs it too (to tell a push from a reply in RESP2, and to count the
 * confirmations a subscribe command expects) and must not depend on the pub/sub engine.
 *
 * @internal
 */

/**
 * `message`
 *
 * @since 0.1.0
 * @category constants
 */
export const MESSAGE = 1
/**
 * `pmessage`
 *
 * @since 0.1.0
 * @category constants
 */
export const PMESSAGE = 2
/**
 * `smessage`
 *
 * @since 0.1.0
 * @category constants
 */
export const SMESSAGE = 3
/**
 * `subscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const SUBSCRIBE = 4
/**
 * `psubscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const PSUBSCRIBE = 5
/**
 * `ssubscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const SSUBSCRIBE = 6
/**
 * `unsubscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const UNSUBSCRIBE = 7
/**
 * `punsubscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const PUNSUBSCRIBE = 8
/**
 * `sunsubscribe`
 *
 * @since 0.1.0
 * @category constants
 */
export const SUNSUBSCRIBE = 9

const KIND_NAMES = ["", "message", "pmessage", "smessage", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"] as const

/**
 * The lower-case command name whose confirmations carry this kind (`subscribe` for SUBSCRIBE...).
 *
 * @since 0.1.0
 * @category decoding
 */
export const kindName = (kind: number): string => KIND_NAMES[kind] ?? ""

const byText = new Map<string, number>(KIND_NAMES.map((name, i) => [name, i] as const).filter(([name]) => name !== ""))

const sameBytes = (bytes: Uint8Array, text: string): boolean => {
  if (bytes.length !== text.length) return false
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false
  return true
}

/**
 * The pub/sub kind of a frame's first element (a string, or bytes in bytes mode); 0 when it is none.
 *
 * @since 0.1.0
 * @category decoding
 */
export const kindOf = (value: unknown): number => {
  if (typeof value === "string") return byText.get(value) ?? 0
  if (!(value instanceof Uint8Array)) return 0
  let kind = 0
  switch (value.length) {
    case 7:
      kind = MESSAGE
      break
    case 8:
      kind = value[0] === 112 ? PMESSAGE : value[0] === 115 ? SMESSAGE : 0
      break
    case 9:
      kind = SUBSCRIBE
      break
    case 10:
      kind = value[0] === 112 ? PSUBSCRIBE : value[0] === 115 ? SSUBSCRIBE : 0
      break
    case 11:
      kind = UNSUBSCRIBE
      break
    case 12:
      kind = value[0] === 112 ? PUNSUBSCRIBE : value[0] === 115 ? SUNSUBSCRIBE : 0
      break
  }
  return kind !== 0 && sameBytes(value, KIND_NAMES[kind]!) ? kind : 0
}
