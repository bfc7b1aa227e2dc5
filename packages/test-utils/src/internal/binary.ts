/**
 * Finding the redis-server binary and checking its version.
 *
 * @internal
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import { FixtureError } from "./errors.js"

const INSTALL_HINT =
  "Install Redis >= 7 (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`) " +
  "or set REDIS_SERVER_BIN to the path of a redis-server (or valkey-server) binary."

const isExecutable = (file: string): boolean => {
  try {
    Fs.accessSync(file, Fs.constants.X_OK)
    return Fs.statSync(file).isFile()
  } catch {
    return false
  }
}

const findOnPath = (name: string): string | undefined => {
  for (const dir of (process.env["PATH"] ?? "").split(Path.delimiter)) {
    if (dir === "") continue
    const candidate = Path.join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

/**
 * The parsed `redis-server --version`. @internal
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
  readonly text: string
}

const versions = new Map<string, Promise<ServerVersion>>()

const readVersion = (bin: string): Promise<ServerVersion> => {
  let cached = versions.get(bin)
  if (cached === undefined) {
    cached = new Promise<ServerVersion>((resolve, reject) => {
      ChildProcess.execFile(bin, ["--version"], { timeout: 10_000 }, (error, stdout) => {
        if (error) {
          reject(error)
          return
        }
        const match = /v=(\d+)\.(\d+)\.(\d+)/.exec(stdout)
        if (match === null) {
          reject(new Error(`unrecognised version output: ${stdout.trim()}`))
          return
        }
        resolve({ major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: `${match[1]}.${match[2]}.${match[3]}` })
      })
    })
    versions.set(bin, cached)
    cached.catch(() => versions.delete(bin))
  }
  return cached
}

/**
 * The redis-server binary to run: `explicit`, else `REDIS_SERVER_BIN`, else `redis-server` on PATH.
 * Fails with install instructions when there is none, or when it is older than 7.0.
 *
 * @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveBinary = Effect.fnUntraced(function*(explicit: string | undefined) {
  const configured = explicit ?? process.env["REDIS_SERVER_BIN"]
  let bin: string
  if (configured !== undefined && configured !== "") {
    const resolved = configured.includes("/") ? Path.resolve(configured) : findOnPath(configured)
    if (resolved === undefined || !isExecutable(resolved)) {
      return yield* new FixtureError({ message: `redis-server binary not found or not executable: ${configured}. ${INSTALL_HINT}` })
    }
    bin = resolved
  } else {
    const found = findOnPath("redis-server")
    if (found === undefined) {
      return yield* new FixtureError({ message: `redis-server not found on PATH. ${INSTALL_HINT}` })
    }
    bin = found
  }
  const version = yield* Effect.tryPromise({
    try: () => readVersion(bin),
    catch: (cause) => new FixtureError({ message: `cannot run ${bin} --version: ${String(cause)}. ${INSTALL_HINT}`, cause })
  })
  if (version.major < 7) {
    return yield* new FixtureError({ message: `${bin} is version ${version.text}; Redis >= 7.0 is required. ${INSTALL_HINT}` })
  }
  return { bin, version }
})
