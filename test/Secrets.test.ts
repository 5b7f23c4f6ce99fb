/**
 * A session token is a secret: it never reaches Redis (keys, values, index members, the slow log
 * of every command), the example app's output, a `Session`, an error, a log line or a serialised
 * value, whatever happens (including a write Redis refuses for lack of memory).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Redis } from "ioredis"
import { inspect } from "node:util"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { exampleServer } from "./utils/exampleServer.js"
import { rawClient } from "./utils/redisClient.js"
import { freePort, privateRedisServer, silentPort, startClusterNode } from "./utils/redisServer.js"

/** Everything a reader of this Redis can see: keys, values, index members and the slow log's commands. */
const everythingIn = (client: Redis) =>
  Effect.promise(async () => {
    const seen: Array<string> = []
    let cursor = "0"
    do {
      const [next, keys] = await client.scan(cursor, "COUNT", "1000")
      cursor = next
      for (const key of keys) {
        seen.push(key)
        const type = await client.type(key)
        if (type === "hash") seen.push(...Object.entries(await client.hgetall(key)).flat())
        if (type === "zset") seen.push(...await client.zrange(key, "0", "-1", "WITHSCORES"))
        if (type === "string") seen.push(String(await client.get(key)))
      }
    } while (cursor !== "0")
    const slowlog = (await client.call("SLOWLOG", "GET", "-1")) as ReadonlyArray<ReadonlyArray<unknown>>
    for (const entry of slowlog) seen.push(...(entry[3] as ReadonlyArray<unknown>).map(String))
    return { text: seen.join("\n"), commands: slowlog.length }
  })

/**
 * Every string reachable through a value's own properties (enumerable or not), as an error reporter
 * walking an error and its cause would find them.
 */
const reachableStrings = (value: unknown): string => {
  const seen = new Set<unknown>()
  const out: Array<string> = []
  const walk = (node: unknown, depth: number) => {
    if (typeof node === "string") out.push(node)
    if (node === null || typeof node !== "object" || seen.has(node) || depth > 12) return
    seen.add(node)
    for (const key of Reflect.ownKeys(node)) {
      const descriptor = Object.getOwnPropertyDescriptor(node, key)
      if (descriptor !== undefined && "value" in descriptor) walk(descriptor.value, depth + 1)
    }
  }
  walk(value, 0)
  return out.join("\n")
}

/** The secret part of a token (a shard prefix is public). */
const secretOf = (token: string) => token.slice(token.indexOf(".") + 1)

const assertNone = (tokens: Iterable<string>, text: string, where: string) => {
  for (const token of tokens) assert.notInclude(text, secretOf(token), `a token in ${where}`)
}

/** A server that logs every command in its slow log, with little memory. */
const loggingServer = privateRedisServer({
  args: ["--slowlog-log-slower-than", "0", "--slowlog-max-len", "1000000", "--maxmemory-policy", "noeviction"]
})

describe("session tokens are secrets", () => {
  it.live("the example app: no cookie token in Redis's keys, values, indexes, slow log, or the app's output", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* loggingServer
      const app = yield* exampleServer({ REDIS_URL: server.url })
      const tokens = new Set<string>()
      const request = (path: string, cookie: string, method = "GET") =>
        Effect.promise(async () => {
          const response = await fetch(`${app.url}${path}`, { method, headers: { cookie } })
          const set = /^session=([^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1]
          if (set !== undefined && set !== "") tokens.add(set)
          return { status: response.status, body: await response.text(), cookie: set ? `session=${set}` : cookie }
        })
      const cookies: Array<string> = []
      for (const user of ["ann", "ann", "ann", "ben"]) {
        cookies.push((yield* request(`/login?userName=${user}`, "")).cookie)
      }
      for (const cookie of cookies) assert.strictEqual((yield* request("/me", cookie)).status, 200)
      const listing = yield* request("/sessions", cookies[0]!)
      assert.strictEqual(listing.status, 200)
      const rotated = yield* request("/rotate", cookies[1]!, "POST")
      assert.strictEqual(rotated.status, 200)
      assert.strictEqual((yield* request("/logout-others", rotated.cookie, "POST")).status, 200)
      assert.strictEqual((yield* request("/stats", cookies[3]!)).status, 200)
      assert.strictEqual(tokens.size, 5)

      const redis = yield* rawClient(server.url)
      const { commands, text } = yield* everythingIn(redis)
      assert.isAbove(commands, 10)
      assert.include(text, JSON.parse(listing.body)[0].id) // the ids are there; the tokens are not
      assertNone(tokens, text, "Redis")
      assertNone(tokens, listing.body, "the /sessions listing")
      yield* Effect.promise(() => app.stop("SIGINT"))
      assertNone(tokens, app.output(), "the app's output")
    })))

  it.scoped("sessions, errors (an OOM-refused write included) and log lines never hold a token", () =>
    Effect.gen(function*() {
      const server = yield* loggingServer
      const redis = yield* rawClient(server.url)
      const lines: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => lines.push(line)))
      const namespace = uniqueNamespace("secrets")
      const connection = yield* Layer.build(RedisLayer.layer({ url: server.url }))
      const options = { namespace, wipeInterval: 0, maxDataValueBytes: 64 }
      const sm = yield* SessionManager.make({ ...options, additionalFields: { group: Schema.String } }).pipe(
        Effect.provide(connection)
      )
      const strict = yield* SessionManager.make({ ...options, additionalFields: { group: Schema.Number } }).pipe(
        Effect.provide(connection)
      )
      const created = yield* sm.create("carl", { fields: { group: "a" } })
      const token = Redacted.value(created.token)
      const other = yield* sm.create("carl", { fields: { group: "b" } })
      const rotated = yield* sm.rotate(other.token)
      const tokens = [token, Redacted.value(other.token), Redacted.value(rotated.token)]
      const session = yield* sm.get(token)
      yield* sm.setData(token, "k", "v")
      const tooLarge = yield* Effect.flip(sm.setData(token, "k", "v".repeat(100)))
      const badToken = yield* Effect.flip(sm.get(`${token}!`))
      const tokenAsId = yield* Effect.flip(sm.kill(token)) // a token where an id belongs
      const decode = yield* Effect.flip(strict.get(token))
      // Redis refuses writes once it is out of memory
      yield* Effect.promise(() => redis.config("SET", "maxmemory", "1"))
      const oom = yield* Effect.flip(sm.setData(token, "k2", "v2"))
      yield* Effect.promise(() => redis.config("SET", "maxmemory", "0"))
      yield* sm.kill(created.sessionId)
      const notFound = yield* Effect.flip(sm.get(token))

      assert.strictEqual(tooLarge._tag, "DataTooLarge")
      assert.strictEqual(badToken._tag, "ValidationError")
      assert.strictEqual(decode._tag, "DecodeError")
      assert.strictEqual(oom._tag, "RedisError")
      assert.include(oom.message, "OOM")
      assert.strictEqual(notFound._tag, "SessionNotFound")
      const values: ReadonlyArray<readonly [string, unknown]> = [
        ["a session", session],
        ["a new session", created],
        ["a rotated session", rotated],
        ["DataTooLarge", tooLarge],
        ["ValidationError", badToken],
        ["ValidationError (a token as an id)", tokenAsId],
        ["DecodeError", decode],
        ["RedisError", oom],
        ["SessionNotFound", notFound]
      ]
      for (const [what, value] of values) {
        yield* Effect.log(what, value).pipe(Effect.provide(logger))
        yield* Effect.logError(what, value).pipe(Effect.provide(logger))
        assertNone(tokens, inspect(value, { depth: 10, showHidden: true }), `util.inspect of ${what}`)
        assertNone(tokens, JSON.stringify(value), `JSON of ${what}`)
        assertNone(tokens, String(value), `String of ${what}`)
        assertNone(tokens, reachableStrings(value), `the properties of ${what}`)
      }
      assert.strictEqual(lines.length, values.length * 2)
      assertNone(tokens, lines.join("\n"), "the log")
      // the error keeps the reply's text and code, not the command ioredis sent
      const cause = (oom as { readonly cause?: unknown }).cause as Record<string, unknown>
      assert.include(String(cause.message), "OOM")
      assert.isUndefined(cause.command)
      assertNone(tokens, (yield* everythingIn(redis)).text, "Redis")
      assert.include(JSON.stringify(created), "<redacted>")
    }))
})

/** Everything an error reporter could record of a failed connect: its text, JSON, a deep print, every string reachable. */
const everythingOf = (error: unknown) =>
  [
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: Infinity, showHidden: true }),
    Cause.pretty(Cause.fail(error)),
    reachableStrings(error)
  ].join("\n")

/** The error a Redis layer fails to build with. */
const connectError = (options: RedisLayer.ConnectOptions) =>
  Effect.flip(Effect.scoped(Layer.build(RedisLayer.layer({ connectTimeout: 3, ...options }))))

describe("a Redis password is a secret", () => {
  const wrong = "Wrong-pw-S3cr3t"

  it.live("a wrong one, however given, fails the connect naming why, and nothing of the error holds it", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* privateRedisServer({ args: ["--requirepass", "right-pw"] })
      const hostPort = `127.0.0.1:${server.port}`
      const ways: ReadonlyArray<RedisLayer.ConnectOptions> = [
        { url: server.url, password: wrong },
        { url: server.url, password: Redacted.make(wrong) },
        { url: `redis://:${wrong}@${hostPort}` },
        { url: Redacted.make(`redis://default:${wrong}@${hostPort}`) },
        { url: `redis://${hostPort}/?password=${wrong}` },
        { url: server.url, redis: { password: wrong } }
      ]
      for (const options of ways) {
        const error = yield* connectError(options)
        assert.strictEqual(error._tag, "RedisError")
        assert.match(error.message, /WRONGPASS/) // why, from the reply...
        assert.notInclude(everythingOf(error), wrong) // ...but not what was sent
      }
    })))

  it.live("a Cluster's wrong one too (the error of its last node)", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => startClusterNode(["--cluster-enabled", "yes", "--requirepass", "right-pw"])),
        (node) => Effect.promise(() => node.stop())
      )
      const admin = yield* rawClient(`redis://:right-pw@127.0.0.1:${server.port}`)
      yield* Effect.promise(() => admin.call("CLUSTER", "ADDSLOTS", ...Array.from({ length: 16384 }, (_, i) => i)))
      const error = yield* connectError({
        cluster: { nodes: [{ host: "127.0.0.1", port: server.port }] },
        password: Redacted.make(wrong)
      })
      assert.strictEqual(error._tag, "RedisError")
      assert.match(inspect(error.cause, { depth: Infinity }), /WRONGPASS/)
      assert.notInclude(everythingOf(error), wrong)
    })))

  it.live("no error shows one from the URL: refused, accepted and never answered, or unreadable", () =>
    Effect.scoped(Effect.gen(function*() {
      const closed = yield* Effect.promise(freePort)
      const silent = yield* silentPort
      for (const port of [closed, silent]) {
        for (
          const url of [
            `redis://:${wrong}@127.0.0.1:${port}`,
            `redis://:pa@ss-${wrong}@127.0.0.1:${port}`, // ioredis reads up to the last @
            `redis://127.0.0.1:${port}/0?password=${wrong}`,
            `redis://127.0.0.1:${port}#${wrong}`
          ]
        ) {
          const error = yield* connectError({ url, connectTimeout: 0.3 })
          assert.strictEqual(error._tag, "RedisError")
          assert.include(error.message, `127.0.0.1:${port}`) // where, still
          assert.notInclude(everythingOf(error), wrong)
        }
      }
      // a URL ioredis cannot read (an unencoded "/" in the password): its error would print it whole
      const unreadable = yield* connectError({ url: `redis://:pa/ss-${wrong}@127.0.0.1:${closed}` })
      assert.strictEqual(unreadable._tag, "ValidationError")
      assert.notInclude(everythingOf(unreadable), wrong)
    })))
})
