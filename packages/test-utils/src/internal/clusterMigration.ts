/**
 * Slot migration in a `RedisClusterFixture` cluster, as redis-cli's resharding does it:
 * `SETSLOT IMPORTING` / `MIGRATING`, `MIGRATE ... KEYS` in batches, then `SETSLOT NODE` on every
 * master. Between `beginMigration` and `finishMigration` the slot stays half-moved, for ASK tests.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { ClusterFixture } from "../RedisClusterFixture.js"
import {
  asString,
  type ClusterContext,
  describe,
  isArrayReply,
  type Migration,
  nodeAt,
  replyToFixture,
  run,
  SLOTS
} from "./clusterContext.js"
import type { ClusterHealth } from "./clusterHealth.js"
import { FixtureError } from "./errors.js"
import { HOST } from "./process.js"

const MIGRATE_BATCH = 100
const MIGRATE_TIMEOUT_MS = 10_000

/**
 * The migration operations over `context`'s nodes; half-moved slots are kept in
 * `context.migrations`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const makeResharding = (
  context: ClusterContext,
  health: Pick<ClusterHealth, "masterOf" | "masters" | "waitHealthy">
): Pick<ClusterFixture, "migrateSlot" | "beginMigration" | "migrateKeys" | "finishMigration"> => {
  const { masterOf, masters, waitHealthy } = health

  const ownerOf = (slot: number) =>
    Effect.flatMap(masterOf(slot), (info) => nodeAt(context, info.port))

  const beginMigration = (slot: number, toMasterPort: number) =>
    Effect.gen(function*() {
      if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) return yield* new FixtureError({ message: `invalid slot ${slot}` })
      if (context.migrations.has(slot)) return yield* new FixtureError({ message: `slot ${slot} is already being migrated` })
      const to = yield* nodeAt(context, toMasterPort)
      const from = yield* ownerOf(slot)
      if (from.id === to.id) return yield* new FixtureError({ message: `slot ${slot} is already on ${describe(to)}` })
      yield* run(to, "CLUSTER", "SETSLOT", slot, "IMPORTING", from.id)
      yield* run(from, "CLUSTER", "SETSLOT", slot, "MIGRATING", to.id)
      context.migrations.set(slot, { from, to })
    })

  const migrateBatch = (migration: Migration, keys: ReadonlyArray<string>) =>
    keys.length === 0 ? Effect.void : Effect.asVoid(
      migration.from.server.command([
        "MIGRATE", HOST, migration.to.server.port, "", 0, MIGRATE_TIMEOUT_MS,
        ...(context.password === undefined ? [] : ["AUTH", context.password]),
        "KEYS", ...keys
      ], MIGRATE_TIMEOUT_MS + 5_000).pipe(Effect.mapError(replyToFixture))
    )

  const activeMigration = (slot: number) =>
    Effect.suspend(() => {
      const migration = context.migrations.get(slot)
      return migration === undefined
        ? Effect.fail(new FixtureError({ message: `slot ${slot} is not being migrated (call beginMigration first)` }))
        : Effect.succeed(migration)
    })

  const migrateKeys = (slot: number, keys: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const migration = yield* activeMigration(slot)
      for (let i = 0; i < keys.length; i += MIGRATE_BATCH) yield* migrateBatch(migration, keys.slice(i, i + MIGRATE_BATCH))
    })

  const finishMigration = (slot: number) =>
    Effect.gen(function*() {
      const migration = yield* activeMigration(slot)
      for (;;) {
        const reply = yield* run(migration.from, "CLUSTER", "GETKEYSINSLOT", slot, MIGRATE_BATCH)
        const keys = isArrayReply(reply) ? reply.map(asString) : []
        if (keys.length === 0) break
        yield* migrateBatch(migration, keys)
      }
      yield* run(migration.to, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)
      yield* run(migration.from, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)
      const others = (yield* masters).filter((m) => m.id !== migration.to.id && m.id !== migration.from.id && !m.paused)
      yield* Effect.forEach(others, (m) =>
        Effect.flatMap(nodeAt(context, m.port), (node) => run(node, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)), {
        concurrency: "unbounded",
        discard: true
      })
      context.migrations.delete(slot)
      yield* waitHealthy()
    })

  const migrateSlot = (slot: number, toMasterPort: number) =>
    Effect.gen(function*() {
      const owner = yield* masterOf(slot)
      if (owner.port === toMasterPort) return
      yield* beginMigration(slot, toMasterPort)
      yield* finishMigration(slot)
    })

  return { migrateSlot, beginMigration, migrateKeys, finishMigration }
}
