import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Redis } from "ioredis"
import { inject } from "vitest"
import { runtime } from "./utils/redisRuntime.js"
import { privateRedisServer, rawCommand, startRedisServer } from "./utils/redisServer.js"

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("test Redis", () => {
  // CI's Docker pass sets REDIS_TEST_EXPECT_RUNTIME=docker: no silent fallback to a local binary
  it.skipIf(process.env.REDIS_TEST_EXPECT_RUNTIME === undefined)(
    "private servers come from the runtime CI expects",
    () => {
      assert.strictEqual(runtime().kind, process.env.REDIS_TEST_EXPECT_RUNTIME)
    }
  )

  it.live("the server chosen by the global setup round-trips a command", () =>
    Effect.gen(function*() {
      const client = new Redis(inject("redisUrl"), { lazyConnect: true })
      yield* Effect.promise(() => client.connect())
      const key = `effect-redisess:test:${Date.now()}:${Math.random()}`
      yield* Effect.promise(() => client.set(key, "value", "EX", 10))
      const value = yield* Effect.promise(() => client.get(key))
      yield* Effect.promise(() => client.del(key))
      yield* Effect.promise(() => client.quit())
      assert.strictEqual(value, "value")
    }))

  it.live("a private server starts on a free port, round-trips, and stops by pid", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(() => startRedisServer())
      assert.isTrue(isAlive(server.pid))
      const client = new Redis(server.url, { lazyConnect: true })
      yield* Effect.promise(() => client.connect())
      yield* Effect.promise(() => client.set("k", "v"))
      assert.strictEqual(yield* Effect.promise(() => client.get("k")), "v")
      // the destructive commands the fault tests need are enabled on private servers
      assert.strictEqual(yield* Effect.promise(() => client.call("DEBUG", "SLEEP", "0")), "OK")
      client.disconnect()
      yield* Effect.promise(() => server.stop())
      assert.isFalse(isAlive(server.pid))
      const error = yield* Effect.flip(Effect.tryPromise(() => rawCommand(server.port, "PING", 300)))
      assert.isDefined(error)
    }))

  it.scoped("a scoped private server is stopped when its scope closes", () =>
    Effect.gen(function*() {
      const pid = yield* Effect.scoped(
        Effect.gen(function*() {
          const server = yield* privateRedisServer()
          assert.strictEqual(yield* Effect.promise(() => rawCommand(server.port, "PING")), "+PONG")
          return server.pid
        })
      )
      assert.isFalse(isAlive(pid))
    }))
})
