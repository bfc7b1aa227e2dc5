#!/usr/bin/env node
// pnpm pack:check — what a stranger gets from npm, checked before a release.
//
// 1. builds every package (`pnpm build`: ESM JavaScript, .d.ts and source maps in dist/);
// 2. `pnpm pack`s each published package and checks the tarball: only dist/, src/, README.md,
//    LICENSE and package.json; no tests, no tsconfig, no vitest config; exports point at dist/ with
//    `./internal/*` closed; no `workspace:` left; `@keyslot/core` a peer range of `@keyslot/node`;
//    no emitted file imports a `.ts` file; every source map names files that ship;
// 3. installs the tarballs with npm (plus `effect` and `@types/node`) into a fresh project outside
//    the repository;
// 4. type-checks a small program against the installed .d.ts with the repo's `tsc`, strict, under
//    `moduleResolution` `nodenext` and `bundler` (skipLibCheck off, so a broken .d.ts fails);
// 5. runs a small ESM program with plain `node`: imports every package, `RedisCluster.fromUrl`,
//    checks that `@keyslot/<pkg>/internal/...` cannot be imported, and — when `redis-server` is on
//    PATH (or in REDIS_SERVER_BIN) — round-trips commands through a real 3-master cluster started
//    by the installed `@keyslot/test-utils`.
//
// Exits non-zero on the first failure. KEEP=1 keeps the temporary folder; it is also kept (and
// printed) on failure.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
/** Published packages, in dependency order (folder under packages/). */
const PACKAGES = ["core", "node", "test-utils"]
/** The peer versions the consumer installs (the README's). */
const EFFECT_VERSION = "4.1.5"
const TYPES_NODE_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@types/node/package.json"), "utf8")).version
const TSC = path.join(ROOT, "node_modules/.bin/tsc")

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "keyslot-pack-check-"))
const TARBALLS = path.join(WORK, "tarballs")
const EXTRACTED = path.join(WORK, "extracted")
const CONSUMER = path.join(WORK, "consumer")

let ok = false
process.on("exit", () => {
  if (ok && process.env.KEEP !== "1") fs.rmSync(WORK, { recursive: true, force: true })
  else console.error(`pack-check: temporary folder kept: ${WORK}`)
})

const fail = (message) => {
  console.error(`\npack-check: FAIL: ${message}`)
  process.exit(1)
}
const step = (title) => console.log(`\n== ${title}`)
const run = (command, args, options = {}) => {
  try {
    return execFileSync(command, args, { stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8", ...options })
  } catch (error) {
    fail(`${command} ${args.join(" ")} (in ${options.cwd ?? process.cwd()}) exited with ${error.status ?? error.message}`)
  }
}
const walk = (dir, base = dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")]
  })
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`

// ---------------------------------------------------------------------------------------------
step("build")
run("pnpm", ["build"], { cwd: ROOT })

// ---------------------------------------------------------------------------------------------
step("pack")
fs.mkdirSync(TARBALLS, { recursive: true })
const packed = []
for (const dir of PACKAGES) {
  const cwd = path.join(ROOT, "packages", dir)
  const { name, version } = JSON.parse(fs.readFileSync(path.join(cwd, "package.json"), "utf8"))
  const before = new Set(fs.readdirSync(TARBALLS))
  run("pnpm", ["pack", "--pack-destination", TARBALLS], { cwd, capture: true })
  const tarball = fs.readdirSync(TARBALLS).find((f) => !before.has(f) && f.endsWith(".tgz"))
  if (tarball === undefined) fail(`pnpm pack wrote no tarball for ${name}`)
  packed.push({ dir, name, version, tarball: path.join(TARBALLS, tarball) })
}

// ---------------------------------------------------------------------------------------------
step("tarball contents")
const ALLOWED = /^(package\.json|README\.md|LICENSE|dist\/.+\.(js|js\.map|d\.ts|d\.ts\.map)|src\/.+\.ts)$/
const FORBIDDEN = /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]s|tsconfig[^/]*\.json$|vitest\.config|\.tsbuildinfo$/
const IMPORTS_TS = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'][^"']+\.[cm]?ts["']/
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[\w.]+)?$/

for (const pkg of packed) {
  const into = path.join(EXTRACTED, pkg.dir)
  fs.mkdirSync(into, { recursive: true })
  run("tar", ["-xzf", pkg.tarball, "-C", into])
  const root = path.join(into, "package")
  const files = walk(root)
  const problems = []
  for (const f of files) {
    if (!ALLOWED.test(f)) problems.push(`unexpected file ${f}`)
    if (FORBIDDEN.test(f)) problems.push(`test or config file ${f}`)
  }
  for (const required of ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) {
    if (!files.includes(required)) problems.push(`missing ${required}`)
  }
  if (!files.some((f) => f.startsWith("src/"))) problems.push("missing src/ (the source maps point there)")
  if (files.some((f) => f.startsWith("src/internal/")) && !files.some((f) => f.startsWith("dist/internal/"))) {
    problems.push("src/internal ships without dist/internal")
  }

  for (const f of files.filter((f) => f.startsWith("dist/") && /\.(js|d\.ts)$/.test(f))) {
    const text = fs.readFileSync(path.join(root, f), "utf8")
    const line = text.split("\n").find((l) => IMPORTS_TS.test(l))
    if (line !== undefined) problems.push(`${f} imports a .ts file: ${line.trim()}`)
  }
  for (const f of files.filter((f) => f.endsWith(".map"))) {
    const map = JSON.parse(fs.readFileSync(path.join(root, f), "utf8"))
    for (const source of map.sources ?? []) {
      const target = path.relative(root, path.resolve(path.dirname(path.join(root, f)), map.sourceRoot ?? "", source)).split(path.sep).join("/")
      if (!files.includes(target)) problems.push(`${f} names ${source}, which does not ship`)
    }
  }

  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
  const raw = JSON.stringify(manifest)
  if (raw.includes("workspace:")) problems.push("package.json still has a workspace: specifier")
  const exp = manifest.exports ?? {}
  if (exp["."]?.default !== "./dist/index.js" || exp["."]?.types !== "./dist/index.d.ts") {
    problems.push(`exports["."] is ${JSON.stringify(exp["."])}, not ./dist/index.js + ./dist/index.d.ts`)
  }
  if (exp["./*"]?.default !== "./dist/*.js" || exp["./*"]?.types !== "./dist/*.d.ts") {
    problems.push(`exports["./*"] is ${JSON.stringify(exp["./*"])}`)
  }
  if (!("./internal/*" in exp) || exp["./internal/*"] !== null) problems.push(`exports["./internal/*"] is not null`)
  for (const [key, value] of Object.entries(exp)) {
    for (const [condition, target] of typeof value === "string" ? [["", value]] : Object.entries(value ?? {})) {
      if (typeof target === "string" && /\.[cm]?ts$/.test(target) && !/\.d\.[cm]?ts$/.test(target)) {
        problems.push(`exports["${key}"]${condition && `.${condition}`} points at a source file ${target}`)
      }
    }
  }
  if (manifest.main !== "./dist/index.js" || manifest.types !== "./dist/index.d.ts") problems.push("main/types do not point at dist")
  if (JSON.stringify(manifest.sideEffects) !== "[]") problems.push(`sideEffects is ${JSON.stringify(manifest.sideEffects)}, not []`)
  if (manifest.license !== "MIT") problems.push(`license is ${manifest.license}`)
  for (const field of ["repository", "homepage", "bugs", "keywords"]) {
    if (manifest[field] === undefined) problems.push(`package.json has no ${field}`)
  }
  if (manifest.private) problems.push("package.json is private")
  if (manifest.peerDependencies?.effect === undefined) problems.push("effect is not a peer dependency")
  if (manifest.dependencies?.effect !== undefined) problems.push("effect is a dependency, not only a peer")
  if (pkg.name === "@keyslot/node") {
    const range = manifest.peerDependencies?.["@keyslot/core"]
    if (range === undefined) problems.push("@keyslot/core is not a peer dependency")
    else if (EXACT_VERSION.test(range)) problems.push(`@keyslot/core peer is an exact pin (${range}), not a range`)
    if (manifest.dependencies?.["@keyslot/core"] !== undefined) problems.push("@keyslot/core is also a dependency")
  }

  const unpacked = files.reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0)
  const count = (re) => files.filter((f) => re.test(f)).length
  console.log(
    `${pkg.name}@${manifest.version}: ${path.basename(pkg.tarball)} ${kb(fs.statSync(pkg.tarball).size)} packed, ${kb(unpacked)} unpacked, ` +
      `${files.length} files (dist: ${count(/^dist\/.*\.js$/)} .js, ${count(/^dist\/.*\.d\.ts$/)} .d.ts, ${count(/^dist\/.*\.map$/)} maps; ` +
      `src: ${count(/^src\//)} .ts); peers ${JSON.stringify(manifest.peerDependencies)}; dependencies ${JSON.stringify(manifest.dependencies ?? {})}`
  )
  if (problems.length > 0) fail(`${pkg.name}:\n  ${problems.join("\n  ")}`)
}

// ---------------------------------------------------------------------------------------------
step(`install into ${CONSUMER}`)
fs.mkdirSync(CONSUMER, { recursive: true })
fs.writeFileSync(
  path.join(CONSUMER, "package.json"),
  JSON.stringify({ name: "keyslot-consumer", version: "0.0.0", private: true, type: "module" }, null, 2)
)
run("npm", [
  "install",
  "--no-audit",
  "--no-fund",
  ...packed.map((p) => p.tarball),
  `effect@${EFFECT_VERSION}`,
  `@types/node@${TYPES_NODE_VERSION}`
], { cwd: CONSUMER })
for (const pkg of packed) {
  const link = path.join(CONSUMER, "node_modules", pkg.name)
  if (fs.lstatSync(link).isSymbolicLink()) fail(`${pkg.name} was linked, not installed from its tarball`)
}

// ---------------------------------------------------------------------------------------------
step("type-check against the installed .d.ts")
fs.writeFileSync(
  path.join(CONSUMER, "types.ts"),
  `import { Effect, Layer, Option } from "effect"
import { ClusterError, Command, RedisCluster } from "@keyslot/core"
import type { Topology } from "@keyslot/core"
import * as Slot from "@keyslot/core/Slot"
import { NodeRedisCluster } from "@keyslot/node"
import { ChaosProxy, RedisClusterFixture } from "@keyslot/test-utils"

export const config: Effect.Effect<RedisCluster.RedisClusterConfig, ClusterError.ConfigError> =
  RedisCluster.fromUrl("redis://127.0.0.1:7000,127.0.0.1:7001?readFrom=replica")

export const live: Layer.Layer<RedisCluster.RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError> =
  NodeRedisCluster.layer({ startupNodes: [{ host: "127.0.0.1", port: 7000 }], readFrom: "replicaPreferred" })

export const program = Effect.gen(function* () {
  const redis = yield* RedisCluster.RedisCluster
  yield* redis.set("user:1", "ada")
  const name: Option.Option<string> = yield* redis.get("user:1")
  const [ok, n] = yield* redis.pipeline([Command.set("k", "v"), Command.incr("counter")])
  const count: number = n
  return { name, ok, count, slot: Slot.slot("user:1") }
})

export const runnable: Effect.Effect<unknown, ClusterError.RedisClusterError> = program.pipe(Effect.provide(live))

export const fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 })
export const fault: ChaosProxy.Fault = ChaosProxy.latency({ downstream: "5 millis" })

export const notAString = Effect.gen(function* () {
  const redis = yield* RedisCluster.RedisCluster
  // @ts-expect-error get gives an Option<string>: the types are real, not any
  const value: string = yield* redis.get("k")
  return value
})

// @ts-expect-error internal modules are not exported
export const internal = import("@keyslot/core/internal/deadline.js")
`
)
const compilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: false,
  target: "ES2023",
  lib: ["ES2023"],
  types: ["node"]
}
for (const [variant, options] of [
  ["nodenext", { module: "NodeNext", moduleResolution: "NodeNext" }],
  ["bundler", { module: "Preserve", moduleResolution: "Bundler" }]
]) {
  const file = `tsconfig.${variant}.json`
  fs.writeFileSync(
    path.join(CONSUMER, file),
    JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files: ["types.ts"] }, null, 2)
  )
  run(TSC, ["-p", file], { cwd: CONSUMER })
  console.log(`tsc (moduleResolution ${variant}, strict, skipLibCheck false): ok`)
}

// ---------------------------------------------------------------------------------------------
step("run with plain node")
const redisServer = process.env.REDIS_SERVER_BIN ??
  (() => {
    try {
      return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined
    } catch {
      return undefined
    }
  })()
fs.writeFileSync(
  path.join(CONSUMER, "main.mjs"),
  `import assert from "node:assert/strict"
import { Effect, Layer, Option } from "effect"
import * as Core from "@keyslot/core"
import { RedisCluster, Slot } from "@keyslot/core"
import * as SlotModule from "@keyslot/core/Slot"
import * as Node from "@keyslot/node"
import { NodeRedisCluster } from "@keyslot/node"
import * as TestUtils from "@keyslot/test-utils"
import { RedisClusterFixture } from "@keyslot/test-utils"

assert.deepEqual(Object.keys(Core).sort(), ${JSON.stringify(modulesOf("core"))})
assert.deepEqual(Object.keys(Node).sort(), ${JSON.stringify(modulesOf("node"))})
assert.deepEqual(Object.keys(TestUtils).sort(), ${JSON.stringify(modulesOf("test-utils"))})

const config = await Effect.runPromise(RedisCluster.fromUrl("redis://alice:secret@127.0.0.1:7000,127.0.0.1:7001?readFrom=replica"))
assert.deepEqual(config.startupNodes, [{ host: "127.0.0.1", port: 7000 }, { host: "127.0.0.1", port: 7001 }])
assert.equal(config.readFrom, "replica")
assert.equal(config.username, "alice")
assert.equal(Layer.isLayer(NodeRedisCluster.layer(config)), true)
const refused = await Effect.runPromise(Effect.flip(RedisCluster.fromUrl("redis://127.0.0.1:7000?readFrom=sideways")))
assert.equal(refused._tag, "ConfigError")
assert.equal(Slot.slot("foo"), 12182)
assert.equal(SlotModule.slot("{user}:1"), Slot.slot("user"))
console.log("imports, RedisCluster.fromUrl, Slot: ok")

for (const specifier of [
  "@keyslot/core/internal/deadline",
  "@keyslot/core/internal/deadline.js",
  "@keyslot/core/internal/wire/decoder",
  "@keyslot/node/internal/anything",
  "@keyslot/test-utils/internal/resp"
]) {
  await assert.rejects(import(specifier), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" }, specifier + " must not be importable")
}
await assert.rejects(import("@keyslot/core/src/index.ts"), (error) => error.code !== undefined, "sources must not be importable")
console.log("internal modules closed: ok")

if (process.env.KEYSLOT_REDIS_SERVER) {
  const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0, bin: process.env.KEYSLOT_REDIS_SERVER })
  const Client = Layer.unwrap(
    Effect.map(Effect.service(RedisClusterFixture.RedisClusterFixture), (fixture) =>
      NodeRedisCluster.layer({ startupNodes: [fixture.startupNodes[0]], commandTimeout: "5 seconds" }))
  )
  const values = await Effect.runPromise(
    Effect.gen(function* () {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.mset({ a: "1", b: "2", c: "3" })
      const [n] = yield* redis.pipeline([Core.Command.incr("counter")])
      return { mget: yield* redis.mget(["a", "b", "c"]), n, masters: redis.topology.current().shards.length }
    }).pipe(Effect.provide(Client.pipe(Layer.provideMerge(Fixture))), Effect.timeout("60 seconds"))
  )
  assert.deepEqual(values.mget, [Option.some("1"), Option.some("2"), Option.some("3")])
  assert.equal(values.n, 1)
  assert.equal(values.masters, 3)
  console.log("MSET/MGET/pipeline on a real 3-master cluster from @keyslot/test-utils: ok")
} else {
  console.log("no redis-server on PATH: the real-cluster round trip was skipped")
}
`
)
run(process.execPath, ["main.mjs"], {
  cwd: CONSUMER,
  env: { ...process.env, ...(redisServer ? { KEYSLOT_REDIS_SERVER: redisServer } : {}) }
})

ok = true
console.log(`\npack-check: ok (${packed.map((p) => `${p.name}@${p.version}`).join(", ")})`)

/** The names `packages/<dir>/src/index.ts` exports (`export * as X from ...`), sorted. */
function modulesOf(dir) {
  const text = fs.readFileSync(path.join(ROOT, "packages", dir, "src/index.ts"), "utf8")
  return [...text.matchAll(/^export \* as (\w+) from/gm)].map((m) => m[1]).sort()
}
