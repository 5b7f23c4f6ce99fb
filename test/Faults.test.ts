/**
 * Faults, on private servers only: stalls (CLIENT PAUSE, DEBUG SLEEP) end in typed timeouts; a
 * crash and restart (AOF on) loses nothing acknowledged and needs no app restart; layers leave
 * nothing behind.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PromiseApi from "../src/PromiseApi.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations } from "./utils/keyspace.js"
import { rawClient } from "./utils/redisClient.js"
import { privateRedisServer, startRedisServer } from "./utils/redisServer.js"

/** A manager on its own connection to `url`, built in the test's scope. */
const managerAt = (url: string, namespace = uniqueNamespace("fault"), timeout = Duration.millis(400)) =>
  Effect.flatMap(
    Layer.build(RedisLayer.layer({ url, timeout, redis: { retryStrategy: () => 50 } })),
    (context) => SessionManager.make({ namespace, wipeInterval: 0 }).pipe(Effect.provide(context))
  )

describe("stalls", () => {
  it.live("a paused server makes operations fail with a timeout RedisError, then they work again", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const raw = yield* rawClient(server.url)
      const sm = yield* managerAt(server.url)
      const session = yield* sm.create("alice")
      yield* Effect.promise(() => raw.call("CLIENT", "PAUSE", "1500", "WRITE"))
      const error = yield* Effect.flip(sm.get(session.token))
      assert.strictEqual(error._tag, "RedisError")
      if (error._tag === "RedisError") assert.isTrue(error.timeout)
      yield* Effect.promise(() => raw.call("CLIENT", "UNPAUSE"))
      assert.strictEqual((yield* sm.get(session.token)).userId, "alice")
    }).pipe(Effect.scoped))

  it.live("many calls made together through the promise API each fail with a timeout RedisError, then work again", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const raw = yield* rawClient(server.url)
      const sm = yield* managerAt(server.url)
      const api = yield* PromiseApi.fromService(sm)
      const sessions = yield* Effect.all(Array.from({ length: 6 }, (_, i) => sm.create(`user${i}`)))
      const sleeping = raw.call("DEBUG", "SLEEP", "1")
      const calls = () => [
        ...sessions.map((session) => api.exists(session.token)),
        api.getData(sessions[0]!.token, "k"),
        api.setData(sessions[1]!.token, "k", 1)
      ]
      const stalled = yield* Effect.promise(() => Promise.allSettled(calls()))
      for (const settled of stalled) {
        assert.strictEqual(settled.status, "rejected")
        const reason = (settled as PromiseRejectedResult).reason as { _tag: string; timeout: boolean }
        assert.strictEqual(reason._tag, "RedisError")
        assert.isTrue(reason.timeout)
      }
      yield* Effect.promise(() => sleeping)
      const answered = yield* Effect.promise(() => Promise.all(calls()))
      assert.deepStrictEqual(answered, [...Array(6).fill(true), Option.none(), 1])
    }).pipe(Effect.scoped))

  it.live("DEBUG SLEEP makes operations fail with a timeout RedisError, then they work again", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const raw = yield* rawClient(server.url)
      const sm = yield* managerAt(server.url)
      const session = yield* sm.create("bob")
      const sleeping = raw.call("DEBUG", "SLEEP", "1")
      const error = yield* Effect.flip(sm.exists(session.token))
      assert.strictEqual(error._tag, "RedisError")
      if (error._tag === "RedisError") assert.isTrue(error.timeout)
      yield* Effect.promise(() => sleeping)
      assert.isTrue(yield* sm.exists(session.token))
    }).pipe(Effect.scoped))
})

describe("crash and restart", () => {
  it.live(
    "with AOF on, every acknowledged session survives a kill -9 and the app recovers by itself",
    () =>
      Effect.gen(function*() {
        const dir = mkdtempSync(join(tmpdir(), "effect-redisess-aof-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const aof = ["--appendonly", "yes", "--appendfsync", "always"]
        const first = yield* Effect.promise(() => startRedisServer({ dir, args: aof }))
        const namespace = uniqueNamespace("crash")
        const sm = yield* managerAt(first.url, namespace)

        const acknowledged = new Set<string>()
        const load = Effect.forEach(
          Array.from({ length: 400 }, (_, i) => i),
          (i) =>
            Effect.either(sm.create(`user${i % 20}`)).pipe(
              Effect.tap((result) => {
                if (result._tag === "Right") acknowledged.add(Redacted.value(result.right.token))
              })
            ),
          { concurrency: 16, discard: true }
        )
        const loading = yield* Effect.fork(load)
        // kill it mid-load, once some sessions were acknowledged
        yield* Effect.sleep(Duration.millis(10)).pipe(Effect.repeat({ until: () => acknowledged.size >= 50 }))
        yield* Effect.promise(() => first.stop("SIGKILL"))
        yield* Effect.sleep(Duration.millis(500))
        yield* Fiber.interrupt(loading)
        assert.isAbove(acknowledged.size, 0)

        // while it is down: typed errors
        const down = yield* Effect.flip(sm.count())
        assert.strictEqual(down._tag, "RedisError")

        const second = yield* Effect.acquireRelease(
          Effect.promise(() => startRedisServer({ port: first.port, dir, args: aof })),
          (server) => Effect.promise(() => server.stop())
        )
        // the same manager recovers without a restart of the app (its script cache is gone: EVAL fallback)
        const count = yield* sm.count().pipe(
          Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 100 })
        )
        assert.isAtLeast(count, acknowledged.size)
        for (const token of acknowledged) assert.isTrue(yield* sm.exists(token))
        const raw = yield* rawClient(second.url)
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(raw, namespace)), [])
        yield* sm.create("after-restart")
      }).pipe(Effect.scoped),
    60_000
  )
})

describe("resource hygiene", () => {
  /** Runs `use` on a private server, then checks that it left no connection, fiber or timer behind. */
  const leavesNothingBehind = (use: (url: string) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const raw = yield* rawClient(server.url)
      const clients = () =>
        Effect.promise(() => raw.client("LIST") as Promise<string>).pipe(
          Effect.map((list) => list.trim().split("\n").length)
        )
      const baselineClients = yield* clients()
      const baselineHandles = process.getActiveResourcesInfo().length
      yield* use(server.url)
      yield* Effect.sleep(Duration.millis(100))
      assert.strictEqual(yield* clients(), baselineClients)
      assert.isAtMost(process.getActiveResourcesInfo().length, baselineHandles)
    }).pipe(Effect.scoped)

  const managerLayer = (url: string) =>
    SessionManager.layer({ namespace: uniqueNamespace("hygiene"), wipeInterval: 0.05 }).pipe(
      Layer.provideMerge(RedisLayer.layer({ url }))
    )

  it.live("building and releasing the layers many times leaves no connection, fiber or timer behind", () =>
    leavesNothingBehind((url) =>
      Effect.gen(function*() {
        const live = managerLayer(url)
        for (let i = 0; i < 30; i++) {
          yield* Effect.scoped(Effect.gen(function*() {
            const context = yield* Layer.build(live)
            yield* Effect.sleep(Duration.millis(5))
            void context
          }))
        }
      }).pipe(Effect.orDie)
    ))

  it.live("PromiseApi.fromLayer and close many times leave no connection, fiber or timer behind", () =>
    leavesNothingBehind((url) =>
      Effect.promise(async () => {
        const live = managerLayer(url)
        for (let i = 0; i < 20; i++) {
          const sessions = await PromiseApi.fromLayer(live)
          const made = await sessions.create(`user${i}`)
          assert.deepStrictEqual(await Promise.all([sessions.exists(made.token), sessions.count()]), [true, i + 1])
          await sessions.close()
        }
      })
    ))
})

// 20,000 keeps CI fast; WIPE_LOAD_SESSIONS=200000 npx vitest run test/Faults.test.ts runs the full size
const wipeLoadSessions = Number(process.env.WIPE_LOAD_SESSIONS ?? 20_000)

describe("wipe under load", () => {
  it.live(
    `the wipe fiber clears ${wipeLoadSessions} expired sessions in bounded batches while other operations go on`,
    () =>
      Effect.gen(function*() {
        const server = yield* privateRedisServer()
        const raw = yield* rawClient(server.url)
        const namespace = uniqueNamespace("wipe")
        const offset = yield* Ref.make(0)
        const context = yield* Layer.build(
          RedisLayer.layer({ url: server.url, batchSize: 500, clockOffset: Ref.get(offset) })
        )
        const loader = yield* SessionManager.make({ namespace, wipeInterval: 0, ttl: 5 }).pipe(Effect.provide(context))
        yield* Effect.forEach(Array.from({ length: wipeLoadSessions }, (_, i) => i), (i) =>
          loader.create(`user${i % 500}`), {
          concurrency: 64,
          discard: true
        })
        const keeper = yield* loader.create("keeper", { ttl: 0 })
        yield* Ref.set(offset, 10_000) // every session but the keeper has expired
        yield* Effect.promise(() =>
          raw.config("RESETSTAT")
        )
        yield* Effect.promise(() => raw.config("SET", "slowlog-log-slower-than", "0"))
        yield* Effect.promise(() => raw.call("SLOWLOG", "RESET"))
        yield* Effect.promise(() => raw.config("SET", "slowlog-max-len", "100000"))
        const wipeStart = performance.now()

        // the manager whose fiber wipes, and a load of other operations meanwhile
        const wiping = yield* SessionManager.make({ namespace, wipeInterval: 0.05 }).pipe(Effect.provide(context))
        const latencies: Array<number> = []
        const load = Effect.gen(function*() {
          const start = performance.now()
          const s = yield* wiping.create("busy")
          yield* wiping.get(s.token)
          yield* wiping.kill(s.sessionId)
          latencies.push(performance.now() - start)
        })
        // sessions on the namespace's ttl are in the regular index, others that expire in the expiries one
        const expiring = () =>
          Effect.promise(async () => (await raw.zcard(`{${namespace}}:r`)) + (await raw.zcard(`{${namespace}}:x`)))
        const loading = yield* load.pipe(Effect.forever, Effect.fork)
        yield* expiring().pipe(Effect.repeat({ schedule: Schedule.spaced(Duration.millis(20)), until: (n) => n === 0 }))
        const wipeMillis = performance.now() - wipeStart
        yield* Fiber.interrupt(loading)
        const stats = yield* Effect.promise(() => raw.info("commandstats"))
        // script calls, by FCALL (or EVALSHA, where the library is not loaded)
        const scriptCalls = [...stats.matchAll(/cmdstat_(?:fcall|evalsha):calls=(\d+)/g)]
          .reduce((sum, match) => sum + Number(match[1]), 0)
        assert.isAtLeast(scriptCalls, wipeLoadSessions / 500) // at most 500 sessions a call
        assert.isTrue(yield* wiping.exists(keeper.token))
        assert.isAbove(latencies.length, 0)
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(raw, namespace)), [])
        const slowlog = (yield* Effect.promise(() => raw.call("SLOWLOG", "GET", "100000"))) as Array<Array<unknown>>
        const longestCall = Math.max(0, ...slowlog.map((entry) => Number(entry[2]) / 1000))
        console.log(
          `wipe under load: ${wipeLoadSessions} sessions wiped in ${wipeMillis.toFixed(0)} ms ` +
            `(${(wipeLoadSessions / wipeMillis * 1000).toFixed(0)}/s); ${latencies.length} create+get+kill rounds ` +
            `ran meanwhile, slowest ${Math.max(...latencies).toFixed(1)} ms; longest Redis call ${
              longestCall.toFixed(1)
            } ms`
        )
      }).pipe(Effect.scoped),
    60_000
  )
})
