/**
 * Command constructors: geospatial indexes (GEOADD, GEOSEARCH, GEORADIUS...).
 *
 * Searches decode to `{ member, distance?, hash?, coordinates? }`: the optional fields are present
 * exactly when `withDist` / `withHash` / `withCoord` asked for them. The `...Store` variants are
 * the `STORE` / `STOREDIST` forms, whose reply is a count.
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { type Command, key, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import { ReplyShape } from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

/**
 * Distance units.
 *
 * @since 0.1.0
 * @category models
 */
export type GeoUnit = "m" | "km" | "ft" | "mi"

/**
 * A position.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoPosition {
  readonly longitude: number
  readonly latitude: number
}

/**
 * A member to add with its position.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoMember extends GeoPosition {
  readonly member: Arg
}

/**
 * Options of `GEOADD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoaddOptions {
  /** Only add new members. */
  readonly nx?: boolean
  /** Only update existing members. */
  readonly xx?: boolean
  /** Count changed members too, not only added ones. */
  readonly ch?: boolean
}

/**
 * The centre of a `GEOSEARCH`: a member of the index, or a position.
 *
 * @since 0.1.0
 * @category models
 */
export type GeoFrom = { readonly member: Arg } | GeoPosition

/**
 * The area of a `GEOSEARCH`: a circle, or a box centred on the centre.
 *
 * @since 0.1.0
 * @category models
 */
export type GeoShape =
  | { readonly radius: number; readonly unit: GeoUnit }
  | { readonly width: number; readonly height: number; readonly unit: GeoUnit }

/**
 * Ordering and limits shared by the searches.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoLimitOptions {
  /** Nearest first (`ASC`) or farthest first (`DESC`). */
  readonly order?: "ASC" | "DESC"
  /** At most this many results. */
  readonly count?: number
  /** With `count`: stop at the first `count` matches found (faster, not the nearest ones). */
  readonly any?: boolean
}

/**
 * Options of the searches that return members.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoSearchOptions extends GeoLimitOptions {
  /** Include each result's distance from the centre (in the search unit). */
  readonly withDist?: boolean
  /** Include each result's raw geohash (a 52-bit integer). */
  readonly withHash?: boolean
  /** Include each result's position. */
  readonly withCoord?: boolean
}

/**
 * Options of the searches that store their results.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoStoreOptions extends GeoLimitOptions {
  /** Store the distances as scores (`STOREDIST`) instead of the geohashes. */
  readonly storeDist?: boolean
}

/**
 * One search result; the optional fields are present when asked for.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeoResult {
  readonly member: string
  readonly distance?: number
  readonly hash?: number
  readonly coordinates?: GeoPosition
}

// ---------------------------------------------------------------------------------------------
// Decoders and arguments (module-private)

const position = (v: Resp.RespValue): GeoPosition | ReplyShape => {
  const items = R.array(v)
  if (items instanceof ReplyShape) return items
  if (items.length !== 2) return new ReplyShape("a [longitude, latitude] pair", v)
  const longitude = R.double(items[0]!)
  if (longitude instanceof ReplyShape) return longitude
  const latitude = R.double(items[1]!)
  if (latitude instanceof ReplyShape) return latitude
  return { longitude, latitude }
}

const optionalPosition = R.optional(position)

/** Search results: plain members without WITH* flags, else `[member, dist?, hash?, coord?]` in that order. */
const results = (o: GeoSearchOptions | undefined) => {
  const withDist = o?.withDist === true
  const withHash = o?.withHash === true
  const withCoord = o?.withCoord === true
  if (!withDist && !withHash && !withCoord) {
    return (v: Resp.RespValue) =>
      R.arrayOf(v, (m): GeoResult | ReplyShape => {
        const member = R.string(m)
        return member instanceof ReplyShape ? member : { member }
      })
  }
  const width = 1 + Number(withDist) + Number(withHash) + Number(withCoord)
  const one = (item: Resp.RespValue): GeoResult | ReplyShape => {
    const parts = R.array(item)
    if (parts instanceof ReplyShape) return parts
    if (parts.length !== width) return new ReplyShape(`a search result of ${width} elements`, item)
    const member = R.string(parts[0]!)
    if (member instanceof ReplyShape) return member
    let i = 1
    const out: { member: string; distance?: number; hash?: number; coordinates?: GeoPosition } = { member }
    if (withDist) {
      const d = R.double(parts[i++]!)
      if (d instanceof ReplyShape) return d
      out.distance = d
    }
    if (withHash) {
      const h = R.integer(parts[i++]!)
      if (h instanceof ReplyShape) return h
      out.hash = h
    }
    if (withCoord) {
      const c = position(parts[i++]!)
      if (c instanceof ReplyShape) return c
      out.coordinates = c
    }
    return out
  }
  return (v: Resp.RespValue) => R.arrayOf(v, one)
}

const limitArgs = (o: GeoLimitOptions | undefined): Array<Resp.RespArg> => {
  const out: Array<Resp.RespArg> = []
  if (o === undefined) return out
  if (o.count !== undefined) {
    out.push("COUNT", o.count)
    if (o.any) out.push("ANY")
  }
  if (o.order !== undefined) out.push(o.order)
  return out
}

const withArgs = (o: GeoSearchOptions | undefined): Array<Resp.RespArg> => {
  const out: Array<Resp.RespArg> = []
  if (o?.withCoord) out.push("WITHCOORD")
  if (o?.withDist) out.push("WITHDIST")
  if (o?.withHash) out.push("WITHHASH")
  return out
}

const searchArgs = (from: GeoFrom, by: GeoShape): Array<Resp.RespArg> => [
  ...("member" in from ? ["FROMMEMBER", from.member] : ["FROMLONLAT", from.longitude, from.latitude]),
  ...("radius" in by ? ["BYRADIUS", by.radius, by.unit] : ["BYBOX", by.width, by.height, by.unit])
]

const storeArgs = (destination: Arg, o: GeoStoreOptions | undefined): Array<Resp.RespArg> => [
  ...limitArgs(o),
  o?.storeDist ? "STOREDIST" : "STORE",
  destination
]

// ---------------------------------------------------------------------------------------------
// Constructors

/**
 * `GEOADD key [NX|XX] [CH] longitude latitude member ...`: how many members were added (or changed, with `ch`).
 *
 * @since 0.1.0
 * @category geo
 */
export const geoadd = (k: Arg, members: ReadonlyArray<GeoMember>, options?: GeoaddOptions): Command<number> => {
  const args: Array<Resp.RespArg> = ["GEOADD", k]
  if (options?.nx) args.push("NX")
  if (options?.xx) args.push("XX")
  if (options?.ch) args.push("CH")
  for (const m of members) args.push(m.longitude, m.latitude, m.member)
  return key("GEOADD", args, [k], 0, R.integer)
}

/**
 * `GEODIST key member1 member2 [unit]`: the distance (metres by default); none when a member is missing.
 *
 * @since 0.1.0
 * @category geo
 */
export const geodist = (k: Arg, member1: Arg, member2: Arg, unit?: GeoUnit): Command<Option.Option<number>> =>
  key("GEODIST", unit === undefined ? ["GEODIST", k, member1, member2] : ["GEODIST", k, member1, member2, unit], [k], READONLY, R.optionalDouble)

/**
 * `GEOHASH key member...`: each member's 11-character geohash, none for missing members.
 *
 * @since 0.1.0
 * @category geo
 */
export const geohash = (k: Arg, ...members: ReadonlyArray<Arg>): Command<ReadonlyArray<Option.Option<string>>> =>
  key("GEOHASH", ["GEOHASH", k, ...members], [k], READONLY, R.optionalStrings)

/**
 * `GEOPOS key member...`: each member's position, none for missing members.
 *
 * @since 0.1.0
 * @category geo
 */
export const geopos = (k: Arg, ...members: ReadonlyArray<Arg>): Command<ReadonlyArray<Option.Option<GeoPosition>>> =>
  key("GEOPOS", ["GEOPOS", k, ...members], [k], READONLY, (v) => R.arrayOf(v, optionalPosition))

/**
 * `GEOSEARCH key FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ... [ASC|DESC] [COUNT n [ANY]] [WITH...]`:
 * the members in the area.
 *
 * @since 0.1.0
 * @category geo
 */
export const geosearch = (k: Arg, from: GeoFrom, by: GeoShape, options?: GeoSearchOptions): Command<ReadonlyArray<GeoResult>> =>
  key("GEOSEARCH", ["GEOSEARCH", k, ...searchArgs(from, by), ...limitArgs(options), ...withArgs(options)], [k], READONLY, results(options))

/**
 * `GEOSEARCHSTORE destination source ... [STOREDIST]`: stores the members found (a sorted set); how many.
 *
 * @since 0.1.0
 * @category geo
 */
export const geosearchstore = (
  destination: Arg,
  source: Arg,
  from: GeoFrom,
  by: GeoShape,
  options?: GeoStoreOptions
): Command<number> => {
  const args: Array<Resp.RespArg> = ["GEOSEARCHSTORE", destination, source, ...searchArgs(from, by), ...limitArgs(options)]
  if (options?.storeDist) args.push("STOREDIST")
  return key("GEOSEARCHSTORE", args, [destination, source], 0, R.integer)
}

/**
 * `GEORADIUS key longitude latitude radius unit [WITH...] [COUNT n [ANY]] [ASC|DESC]`: the members
 * within the radius (deprecated by Redis in favour of GEOSEARCH; a write command, so never on replicas).
 *
 * @since 0.1.0
 * @category geo
 */
export const georadius = (
  k: Arg,
  longitude: number,
  latitude: number,
  radius: number,
  unit: GeoUnit,
  options?: GeoSearchOptions
): Command<ReadonlyArray<GeoResult>> =>
  key("GEORADIUS", ["GEORADIUS", k, longitude, latitude, radius, unit, ...withArgs(options), ...limitArgs(options)], [k], 0, results(options))

/**
 * `GEORADIUS ... STORE|STOREDIST destination`: stores the members found; how many.
 *
 * @since 0.1.0
 * @category geo
 */
export const georadiusStore = (
  k: Arg,
  longitude: number,
  latitude: number,
  radius: number,
  unit: GeoUnit,
  destination: Arg,
  options?: GeoStoreOptions
): Command<number> =>
  key("GEORADIUS", ["GEORADIUS", k, longitude, latitude, radius, unit, ...storeArgs(destination, options)], [k, destination], 0, R.integer)

/**
 * `GEORADIUS_RO key longitude latitude radius unit [...]`: the read-only GEORADIUS (replicas may serve it).
 *
 * @since 0.1.0
 * @category geo
 */
export const georadiusRo = (
  k: Arg,
  longitude: number,
  latitude: number,
  radius: number,
  unit: GeoUnit,
  options?: GeoSearchOptions
): Command<ReadonlyArray<GeoResult>> =>
  key(
    "GEORADIUS_RO",
    ["GEORADIUS_RO", k, longitude, latitude, radius, unit, ...withArgs(options), ...limitArgs(options)],
    [k],
    READONLY,
    results(options)
  )

/**
 * `GEORADIUSBYMEMBER key member radius unit [WITH...] [COUNT n [ANY]] [ASC|DESC]`: the members within the radius of a member.
 *
 * @since 0.1.0
 * @category geo
 */
export const georadiusbymember = (k: Arg, member: Arg, radius: number, unit: GeoUnit, options?: GeoSearchOptions): Command<ReadonlyArray<GeoResult>> =>
  key("GEORADIUSBYMEMBER", ["GEORADIUSBYMEMBER", k, member, radius, unit, ...withArgs(options), ...limitArgs(options)], [k], 0, results(options))

/**
 * `GEORADIUSBYMEMBER ... STORE|STOREDIST destination`: stores the members found; how many.
 *
 * @since 0.1.0
 * @category geo
 */
export const georadiusbymemberStore = (
  k: Arg,
  member: Arg,
  radius: number,
  unit: GeoUnit,
  destination: Arg,
  options?: GeoStoreOptions
): Command<number> =>
  key("GEORADIUSBYMEMBER", ["GEORADIUSBYMEMBER", k, member, radius, unit, ...storeArgs(destination, options)], [k, destination], 0, R.integer)

/**
 * `GEORADIUSBYMEMBER_RO key member radius unit [...]`: the read-only GEORADIUSBYMEMBER.
 *
 * @since 0.1.0
 * @category geo
 */
export const georadiusbymemberRo = (k: Arg, member: Arg, radius: number, unit: GeoUnit, options?: GeoSearchOptions): Command<ReadonlyArray<GeoResult>> =>
  key(
    "GEORADIUSBYMEMBER_RO",
    ["GEORADIUSBYMEMBER_RO", k, member, radius, unit, ...withArgs(options), ...limitArgs(options)],
    [k],
    READONLY,
    results(options)
  )
