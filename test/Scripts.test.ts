/**
 * The Redis store's script contracts: every Lua file has one, each script carries only the shared
 * functions it calls (Redis runs a script's whole source on every call), each fast reply decoder
 * agrees with its schema, and a reply of the wrong shape is a `RedisError`, never a misreading.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { Redis } from "ioredis"
import type { Command } from "ioredis"
import { readdirSync } from "node:fs"
import { inject } from "vitest"
import * as Scripts from "../src/internal/redis/scripts.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { rawClient } from "./utils/redisClient.js"
import { privateRedisServer } from "./utils/redisServer.js"

const scripts = Object.values(Scripts.all)
/** The shared functions a script defines (not those that run one call of it and all its calls). */
const defined = (source: string) =>
  [...source.matchAll(/^local function (\w+)\(/gm)].map((m) => m[1]!).filter((name) =>
    name !== "operation" && name !== "run_calls"
  )

describe("Redis scripts", () => {
  it("every Lua file has a contract, and every contract its Lua file", () => {
    const files = readdirSync(new URL("../src/internal/redis/lua/", import.meta.url))
      .filter((file) => file.endsWith(".lua"))
      .map((file) => file.slice(0, -".lua".length))
      .sort()
    assert.deepStrictEqual(files, [...scripts.map((script) => script.name), Scripts.reads.name].sort())
  })

  for (const script of scripts) {
    it(`${script.name}: defines only the shared functions it calls, each before its first call`, () => {
      for (const name of defined(script.source)) {
        const definition = script.source.indexOf(`local function ${name}(`)
        const calls = [...script.source.matchAll(new RegExp(`\\b${name}\\(`, "g"))].map((m) => m.index)
        assert.isTrue(
          calls.some((at) => at !== definition + "local function ".length),
          `${script.name} defines ${name} without calling it`
        )
        assert.isTrue(calls.every((at) => at >= definition), `${script.name} calls ${name} before defining it`)
      }
    })
  }

  it("a small script leaves out what it does not use, and names its keys and arguments", () => {
    assert.deepStrictEqual(defined(Scripts.exists.source), ["now_ms", "expiry", "times", "state", "unexpired"])
    assert.includeMembers(defined(Scripts.get.source), ["load", "index", "remove"])
    assert.notInclude(defined(Scripts.get.source), "sweep")
    assert.include(Scripts.get.source, "local A, X, R = KEYS[1], KEYS[2], KEYS[3]")
    assert.include(Scripts.get.source, "local SESSION = KEYS[first_key]")
    assert.include(
      Scripts.get.source,
      "local SID, TOUCH, TOUCH_AFTER = ARGV[first_arg], ARGV[first_arg + 1] == '1', tonumber(ARGV[first_arg + 2])"
    )
    assert.include(
      Scripts.get.source,
      "local FIELD_NAMES_AT, FIELD_NAMES_END = first_arg + 3, first_arg + arg_count - 1"
    )
  })

  it("the library has a function per shard script, named after the library's hash, and defines each function once", () => {
    assert.match(Scripts.library.name, /^effect_redisess_[0-9a-f]{12}$/)
    assert.isTrue(Scripts.library.source.startsWith(`#!lua name=${Scripts.library.name}\n`))
    for (const script of scripts) {
      assert.strictEqual(script.function, script.shard ? `${Scripts.library.name}_${script.name}` : undefined)
    }
    const defined = Array.from(Scripts.library.source.matchAll(/^local function (\w+)\(/gm), (match) => match[1])
    assert.strictEqual(new Set(defined).size, defined.length)
    const registered = Array.from(Scripts.library.source.matchAll(/^redis\.register_function\('(\w+)'/gm), (m) => m[1])
    assert.sameMembers(registered, scripts.flatMap((script) => script.function === undefined ? [] : [script.function]))
  })

  it.scoped("the library loads on Redis, with those functions", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      const name = yield* Effect.promise(() => client.call("FUNCTION", "LOAD", "REPLACE", Scripts.library.source))
      assert.strictEqual(name, Scripts.library.name)
      const [library] = (yield* Effect.promise(() =>
        client.call("FUNCTION", "LIST", "LIBRARYNAME", Scripts.library.name)
      )) as Array<Array<unknown>>
      const functions = (library![5] as Array<Array<unknown>>).map((entry) =>
        String(entry[1])
      )
      assert.sameMembers(functions, [
        ...scripts.flatMap((script) => script.function === undefined ? [] : [script.function]),
        Scripts.reads.function!
      ])
    }))

  it.scoped("every script compiles on Redis", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      for (const script of [...scripts, Scripts.reads]) {
        assert.strictEqual(yield* Effect.promise(() => client.script("LOAD", script.source)), script.sha)
      }
    }))

  for (const script of scripts.filter((script) => script.fast !== undefined)) {
    const fast = script.fast!
    const schema = Schema.decodeUnknownEither(script.reply as Schema.Schema<unknown, unknown>)
    // well-formed replies (from the schema's encoded side), and anything else
    const replies = FastCheck.oneof(
      Arbitrary.make(Schema.encodedSchema(script.reply as Schema.Schema<unknown, unknown>)),
      FastCheck.anything(),
      FastCheck.array(FastCheck.oneof(FastCheck.integer(), FastCheck.string(), FastCheck.constant(null)))
    )
    it.prop(
      `${script.name}: the fast decoder agrees with the reply's schema wherever it answers`,
      [replies],
      ([reply]) => {
        const decoded = fast(reply)
        if (decoded === undefined) return
        const expected = schema(reply)
        assert.isTrue(Either.isRight(expected), `the schema refuses ${JSON.stringify(reply)}`)
        if (Either.isRight(expected)) assert.deepStrictEqual(decoded, expected.right)
      },
      { fastCheck: { numRuns: 300 } }
    )
  }

  it.scoped("a call whose counts cannot be read ends the script with an error, by FCALL and by EVAL", () =>
    Effect.gen(function*() {
      // a private server: without the check such a call would keep Redis busy for good
      const server = yield* privateRedisServer()
      // dropped, not quit, at the end: a quit would wait on a server that is still busy
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(server.url)),
        (client) => Effect.sync(() => client.disconnect())
      )
      yield* Effect.promise(() => client.call("FUNCTION", "LOAD", "REPLACE", Scripts.library.source))
      const keys = ["{t}:a", "{t}:x", "{t}:r"]
      const shardArgs = ["{t}:", "0", "600000", "0", "2000"]
      const refused = (call: Promise<unknown>) =>
        Effect.tryPromise(() => call).pipe(
          Effect.timeout("5 seconds"),
          Effect.flip,
          Effect.map((error) => String((error as { cause?: unknown }).cause ?? error))
        )
      // a well-formed call to the wipe, then one whose argument count is not a number
      const args = [...shardArgs, "1", "200", "x", "200"]
      const byFunction = yield* refused(client.call("FCALL", Scripts.wipe.function!, keys.length, ...keys, ...args))
      assert.include(byFunction, "malformed call at argument 8")
      const byScript = yield* refused(client.eval(Scripts.wipe.source, keys.length, ...keys, ...args))
      assert.include(byScript, "malformed call at argument 8")
      // the library's next call starts afresh
      const fine = yield* Effect.promise(() =>
        client.call("FCALL", Scripts.wipe.function!, keys.length, ...keys, ...shardArgs, "1", "200")
      )
      assert.deepStrictEqual(fine, [[[0, 0]], []])
    }))

  it.scoped("creates of one script call stop tracking kept keys once one removes sessions (by FCALL and by EVAL)", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      yield* Effect.promise(() => client.call("FUNCTION", "LOAD", "REPLACE", Scripts.library.source))
      for (const by of ["FCALL", "EVAL"] as const) {
        const ns = `{scripts-kept-${by}-${Date.now()}}:`
        const keys = ["a", "x", "r", "s:one", "u:kim", "s:two", "u:kim"].map((key) => ns + key)
        // a regular ttl of 60 s; the first create sets no cap, the second caps kim at 1: it evicts
        // the first, emptying r and kim's set, then writes them again
        const args = [ns, "0", "600000", "60000", "2000"]
        // each call: its argument count, then SID, UID, TTL, LIFETIME, LIMIT, REFUSE, BATCH
        const call = (sid: string, limit: number) => ["7", sid, "kim", "60000", "0", String(limit), "0", "200"]
        const all = [...keys, ...args, ...call("one", 0), ...call("two", 1)]
        const reply = yield* Effect.promise(async () =>
          (by === "FCALL"
            ? await client.call("FCALL", Scripts.create.function!, "7", ...all)
            : await client.eval(Scripts.create.source, 7, ...all)) as [Array<Array<number>>, Array<number>]
        )
        assert.deepStrictEqual(reply[0].map((created) => created[0]), [1, 1], by)
        assert.deepStrictEqual(reply[1], [], by)
        assert.deepStrictEqual(yield* Effect.promise(() => client.zrange(`${ns}u:kim`, "0", "-1")), ["two"], by)
        assert.strictEqual(yield* Effect.promise(() => client.exists(`${ns}s:one`)), 0, by)
        for (const key of ["r", "u:kim", "s:two"]) {
          assert.isAbove(yield* Effect.promise(() => client.pttl(ns + key)), 59_000, `${by} ${key}`)
        }
        yield* Effect.promise(() => client.del(...keys))
      }
    }))

  it.scoped("a driver that throws instead of rejecting fails the operation with a RedisError", () =>
    Effect.gen(function*() {
      const fake = {
        sendCommand: (command: Command) => {
          if (command.name === "evalsha" && command.args[0] === Scripts.layout.sha) return Promise.resolve([1, 0])
          throw new Error("connection is closed")
        }
      }
      const manager = yield* SessionManager.make({ namespace: "throwing-driver", wipeInterval: 0 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(fake as unknown as Redis))
      )
      const error = yield* Effect.flip(manager.exists("A".repeat(32)))
      assert.strictEqual(error._tag, "RedisError")
      assert.include(error.message, "connection is closed")
    }))

  it.scoped("a reply of the wrong shape fails the operation with a RedisError naming the script", () =>
    Effect.gen(function*() {
      // one call's reply, as a batch of one carries it; and a count not in a batch's shape at all
      const replies: Record<string, unknown> = {
        [Scripts.layout.sha]: [1, 0],
        [Scripts.get.sha]: [[[1, ["alice", "not a time", "0", null, 1, 0]]], []],
        [Scripts.exists.sha]: [[2], []],
        [Scripts.count.sha]: 3
      }
      const fake = { sendCommand: (command: Command) => Promise.resolve(replies[String(command.args[0])]) }
      const manager = yield* SessionManager.make({ namespace: "wrong-replies", wipeInterval: 0 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(fake as unknown as Redis))
      )
      for (
        const [operation, script] of [
          [manager.get("A".repeat(32)), "get"],
          [manager.exists("A".repeat(32)), "exists"],
          [manager.count(), "count"]
        ] as const
      ) {
        const error = yield* Effect.flip(operation as Effect.Effect<unknown, { _tag: string; message: string }>)
        assert.strictEqual(error._tag, "RedisError")
        assert.include(error.message, `Unexpected reply from script ${script}`)
      }
    }))
})
