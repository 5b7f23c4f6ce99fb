/**
 * Sentinel failover: a master, a replica and three sentinels, all started by the test. The library,
 * connected through the sentinels, keeps working after the master is killed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations } from "./utils/keyspace.js"
import { rawClient } from "./utils/redisClient.js"
import { rawCommand, startRedisServer, startSentinel } from "./utils/redisServer.js"

const scoped = <A>(start: () => Promise<A & { readonly stop: () => Promise<void> }>) =>
  Effect.acquireRelease(Effect.promise(start), (server) => Effect.promise(() => server.stop()))

const until = (what: string, check: Effect.Effect<boolean>) =>
  check.pipe(
    Effect.filterOrFail((ok) => ok, () => new Error(`timed out waiting for ${what}`)),
    Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 150 }),
    Effect.orDie
  )

describe("Sentinel", () => {
  it.live(
    "the library keeps working through a failover; sessions acknowledged by WAIT survive",
    () =>
      Effect.gen(function*() {
        const master = yield* scoped(() => startRedisServer())
        const replica = yield* scoped(() =>
          startRedisServer({ args: ["--replicaof", "127.0.0.1", String(master.port)] })
        )
        const replicaClient = yield* rawClient(replica.url)
        yield* until(
          "the replica to sync",
          Effect.promise(() => rawCommand(replica.port, "INFO replication", 1000).catch(() => "")).pipe(
            Effect.zipRight(Effect.promise(async () => {
              const info = await replicaClient.info("replication")
              return info.includes("master_link_status:up")
            }))
          )
        )
        const sentinels = yield* Effect.all(
          Array.from({ length: 3 }, () => scoped(() => startSentinel("sessions", master.port)))
        )
        const sentinelClient = yield* rawClient(`redis://127.0.0.1:${sentinels[0]!.port}`)
        yield* until(
          "the sentinels to see the replica",
          Effect.promise(async () =>
            ((await sentinelClient.call("SENTINEL", "REPLICAS", "sessions")) as Array<unknown>).length === 1
          )
        )

        const namespace = uniqueNamespace("sentinel")
        const context = yield* Layer.build(RedisLayer.layer({
          timeout: Duration.millis(500),
          redis: {
            sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
            name: "sessions",
            sentinelRetryStrategy: () => 100,
            retryStrategy: () => 100
          }
        }))
        const sm = yield* SessionManager.make({ namespace, wipeInterval: 0 }).pipe(Effect.provide(context))

        // acknowledged by the master and, through WAIT, by the replica
        const replicated = yield* Effect.all(Array.from({ length: 100 }, (_, i) => sm.create(`user${i % 10}`)), {
          concurrency: 10
        })
        const masterClient = yield* rawClient(master.url)
        const acked = yield* Effect.promise(() => masterClient.call("WAIT", "1", "2000") as Promise<number>)
        assert.strictEqual(acked, 1)
        // acknowledged by the master only: these may or may not reach the replica before it dies
        const unreplicated = yield* Effect.all(Array.from({ length: 20 }, () => sm.create("late")), { concurrency: 10 })

        yield* Effect.promise(() => master.stop("SIGKILL"))
        let typedErrors = 0
        const firstAfter = yield* sm.create("after-failover").pipe(
          Effect.tapError((error) =>
            Effect.sync(() => {
              assert.strictEqual(error._tag, "RedisError")
              typedErrors++
            })
          ),
          Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 200 })
        )
        assert.strictEqual(firstAfter.userId, "after-failover")

        for (const session of replicated) assert.isTrue(yield* sm.exists(session.token), session.sessionId)
        let survivors = 0
        for (const session of unreplicated) if (yield* sm.exists(session.token)) survivors++
        // honest accounting: unreplicated sessions may be lost; the indexes stay exact either way
        assert.isAtMost(survivors, unreplicated.length)
        const promoted = replicaClient
        const role = yield* Effect.promise(() => promoted.call("ROLE") as Promise<Array<unknown>>)
        assert.strictEqual(role[0], "master")
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(promoted, namespace)), [])
        // a create that timed out may still have run on the new master: at most one per typed error
        const afterFailover = (yield* sm.count()) - replicated.length - survivors
        assert.isAtLeast(afterFailover, 1)
        assert.isAtMost(afterFailover, 1 + typedErrors)
        console.log(
          `sentinel failover: ${typedErrors} typed errors in the window; ${survivors}/${unreplicated.length} ` +
            `unreplicated sessions survived; ${afterFailover} sessions from the retried create`
        )
      }).pipe(Effect.scoped),
    60_000
  )
})
