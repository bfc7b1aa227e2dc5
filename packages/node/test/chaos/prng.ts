/**
 * A small seeded PRNG (sfc32, seeded through splitmix32), so a chaos run's schedule and workload
 * mix follow from `--seed`. Each consumer (every worker, each fault scheduler) draws from its own
 * stream: fibers interleave differently from run to run, and a shared stream would then hand out
 * different numbers to each of them.
 */

const splitmix32 = (state: number) => () => {
  state = (state + 0x9e3779b9) | 0
  let z = state
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** FNV-1a of a stream name, mixed into the seed. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** A stream of pseudo-random numbers. */
export interface Rng {
  /** In [0, 1). */
  readonly next: () => number
  /** An integer in [min, max]. */
  readonly int: (min: number, max: number) => number
  /** One element of a non-empty array. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  /** `true` with probability `p`. */
  readonly chance: (p: number) => boolean
  /** A key of `weights`, chosen in proportion to its weight. */
  readonly weighted: <K extends string>(weights: Readonly<Record<K, number>>) => K
}

/** The stream `name` of `seed`. */
export const make = (seed: number, name: string): Rng => {
  const init = splitmix32((seed >>> 0) ^ hash(name))
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const next = () => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    weighted: (weights) => {
      const entries = Object.entries(weights) as Array<[keyof typeof weights, number]>
      const total = entries.reduce((n, [, w]) => n + w, 0)
      let x = next() * total
      for (const [k, w] of entries) {
        if ((x -= w) < 0) return k
      }
      return entries[entries.length - 1]![0]
    }
  }
}
