/**
 * What only Redis can show: round trips, the script cache, native TTLs, the raw keyspace, races
 * between connections, and connection handling. Destructive tests use private servers.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import { Cluster, Redis } from "ioredis"
import type { Command as DriverCommand } from "ioredis"
import { createServer } from "node:net"
import { inject } from "vitest"
import * as Command from "../src/internal/redis/command.js"
import * as Format from "../src/internal/redis/format.js"
import { keyspace } from "../src/internal/redis/keys.js"
import * as Scripts from "../src/internal/redis/scripts.js"
import * as Store from "../src/internal/redis/store.js"
import * as RedisLayer from "../src/RedisLayer.js"
import type { TokenInput } from "../src/Session.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations, namespaceKeys } from "./utils/keyspace.js"
import { countingClient, rawClient, watchCommands } from "./utils/redisClient.js"
import { privateRedisServer, silentPort } from "./utils/redisServer.js"

/** A manager on a counting client, with a clock offset the test controls. */
const managerOn = (
  url: string,
  options: Partial<SessionManager.Options> = {},
  storeOptions: RedisLayer.StoreOptions = {}
) =>
  Effect.gen(function*() {
    const { client, sent, sentWithArgs } = yield* countingClient(url)
    const offset = yield* Ref.make(0)
    const namespace = uniqueNamespace("redis")
    const manager = yield* SessionManager.make({ namespace, wipeInterval: 0, ...options }).pipe(
      Effect.provide(RedisLayer.layerFromClient(client, { ...storeOptions, clockOffset: Ref.get(offset) }))
    )
    const advance = (seconds: number) => Ref.update(offset, (ms) => ms + seconds * 1000)
    /** Runs `effect` and returns the commands it sent. */
    const commandsOf = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.gen(function*() {
        sent.length = 0
        sentWithArgs.length = 0
        const result = yield* effect
        return { result, commands: [...sent], withArgs: [...sentWithArgs] }
      })
    return { client, manager, namespace, advance, commandsOf, sent }
  })

/** Unix seconds (as sessions give times) to whole milliseconds (as Redis stores them). */
const ms = (seconds: number) => Math.round(seconds * 1000)

/** A second manager on the same namespace, on a connection of its own (built in the test's scope). */
const managerOnOwnConnection = (url: string, namespace: string, options: Partial<SessionManager.Options> = {}) =>
  Effect.flatMap(
    Layer.build(RedisLayer.layer({ url })),
    (connection) => SessionManager.make({ namespace, wipeInterval: 0, ...options }).pipe(Effect.provide(connection))
  )

describe("Redis store", () => {
  it.scoped("each single-session operation and each query is one round trip", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"))
      const operations = ({ sessionId, token }: { readonly sessionId: string; readonly token: TokenInput }) =>
        [
          manager.get(token),
          manager.get(token, { noUpdate: true }),
          manager.exists(token),
          manager.inspect(sessionId),
          manager.write(sessionId, {}),
          manager.count(),
          manager.count(60),
          manager.countForUser("alice", 60),
          manager.getAllSessions(60),
          manager.getAllUsers(),
          manager.getUserSessions("alice"),
          manager.getOldestUserSession("alice"),
          manager.setData(token, { a: 1, b: [2] }),
          manager.getData(token, ["a", "b"]),
          manager.getAllData(token),
          manager.removeData(token, "a"),
          manager.killOtherSessions(sessionId),
          manager.kill(sessionId)
        ] as ReadonlyArray<Effect.Effect<unknown, unknown>>
      /** The operations that only read a session: a plain HMGET (or HGETALL) between two TIMEs, written in one go. */
      const plainReads = new Map([[1, "hmget"], [2, "hmget"], [3, "hmget"], [13, "hmget"], [14, "hgetall"]])
      // the library was loaded when the manager opened: even each script's first call is one FCALL
      const created = yield* commandsOf(manager.create("alice"))
      assert.deepStrictEqual(created.commands, ["fcall"])
      for (const [i, operation] of operations(created.result).entries()) {
        assert.deepStrictEqual(
          (yield* commandsOf(operation)).commands,
          plainReads.has(i) ? ["time", plainReads.get(i), "time"] : ["fcall"]
        )
      }
      const rotated = yield* commandsOf(manager.rotate((yield* manager.create("alice")).token))
      assert.deepStrictEqual(rotated.commands, ["fcall"])
    }))

  it.scoped("killUser, killAll and wipe work in bounded batches and never use KEYS or SCAN", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      // batches by count alone: no call here runs out of its time (below)
      const { advance, client, commandsOf, manager, namespace } = yield* managerOn(server.url, { ttl: 10 }, {
        batchSize: 10,
        batchTime: "1 minute"
      })
      yield* Effect.all(Array.from({ length: 35 }, () => manager.create("bulk")), { concurrency: 8 })
      yield* Effect.all(Array.from({ length: 12 }, (_, i) => manager.create(`other${i}`, { ttl: 0 })))
      const killUser = yield* commandsOf(manager.killUser("bulk"))
      assert.strictEqual(killUser.result, 35)
      // 4 batches: 10, 10, 10, and a short last one that says none are left
      assert.deepStrictEqual(killUser.commands, Array(4).fill("fcall"))
      // fewer sessions than a batch: one call
      yield* Effect.all([manager.create("pair"), manager.create("pair")])
      const pair = yield* commandsOf(manager.killUser("pair"))
      assert.strictEqual(pair.result, 2)
      assert.deepStrictEqual(pair.commands, ["fcall"])

      yield* Effect.all(Array.from({ length: 25 }, () => manager.create("expiring")), { concurrency: 8 })
      yield* advance(11)
      const wipe = yield* commandsOf(manager.wipe)
      assert.strictEqual(wipe.result, 25)
      assert.deepStrictEqual(wipe.commands, Array(3).fill("fcall"))

      const killAll = yield* commandsOf(manager.killAll)
      assert.strictEqual(killAll.result, 12)
      assert.isTrue(killAll.commands.every((name) => name === "fcall"))
      const stats = yield* Effect.promise(() => client.info("commandstats"))
      assert.notMatch(stats, /cmdstat_(keys|scan):/)
      assert.deepStrictEqual(yield* Effect.promise(() => namespaceKeys(client, namespace)), [])
    }))

  it.scoped("a bulk call stops removing once it has run its batch time, and says more remain", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      // no time at all: each call removes one session where more are due, then answers "call again"
      const storeOptions = { batchSize: 100, batchTime: 0 }
      const { advance, client, commandsOf, manager, namespace } = yield* managerOn(
        server.url,
        { ttl: 10 },
        storeOptions
      )
      const mine = yield* Effect.all(Array.from({ length: 4 }, () => manager.create("mine")))
      const others = yield* commandsOf(manager.killOtherSessions(mine[0]!.sessionId))
      assert.strictEqual(others.result, 3)
      assert.isAtLeast(others.commands.length, 3)
      // a cap of 2 meets a user with 5: four to evict, one per call, the create with the last
      yield* Effect.all(Array.from({ length: 4 }, () => manager.create("mine")))
      const capped = yield* SessionManager.make({ namespace, wipeInterval: 0, maxSessionsPerUser: 2 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(client, storeOptions))
      )
      const create = yield* commandsOf(capped.create("mine"))
      assert.deepStrictEqual(create.commands, Array(4).fill("fcall"))
      assert.strictEqual(yield* capped.countForUser("mine"), 2)
      yield* manager.killUser("mine")

      yield* Effect.all(Array.from({ length: 4 }, () => manager.create("quick")))
      const killUser = yield* commandsOf(manager.killUser("quick"))
      assert.strictEqual(killUser.result, 4)
      assert.deepStrictEqual(killUser.commands, Array(4).fill("fcall"))

      // on the namespace's ttl (the regular index) and on ttls of their own (the expiries index)
      yield* Effect.all(Array.from({ length: 5 }, (_, i) => manager.create(`expiring${i}`)))
      yield* Effect.all(Array.from({ length: 3 }, (_, i) => manager.create(`short${i}`, { ttl: 5 })))
      yield* advance(11)
      const wipe = yield* commandsOf(manager.wipe)
      assert.strictEqual(wipe.result, 8) // the sessions removed, not the batch size
      // one a call, but for the call that finds the expiries index's last: it goes on to the regular one
      assert.deepStrictEqual(wipe.commands, Array(7).fill("fcall"))

      yield* Effect.all(Array.from({ length: 3 }, (_, i) => manager.create(`stale${i}`)))
      yield* advance(11)
      yield* manager.create("fresh")
      const count = yield* commandsOf(manager.count())
      assert.strictEqual(count.result, 1)
      assert.deepStrictEqual(count.commands, Array(3).fill("fcall")) // a sweep of one, twice, then the answer

      yield* Effect.all(Array.from({ length: 2 }, (_, i) => manager.create(`left${i}`)))
      const killAll = yield* commandsOf(manager.killAll)
      assert.strictEqual(killAll.result, 3)
      assert.deepStrictEqual(killAll.commands, Array(4).fill("fcall")) // one each, then the users' pass
    }))

  it.scoped("with the default batch time, a batch far too large for it still goes in several calls", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { advance, commandsOf, manager } = yield* managerOn(server.url, { ttl: 10 }, { batchSize: 100_000 })
      const sessions = 3000
      yield* Effect.all(Array.from({ length: sessions }, (_, i) => manager.create(`user${i % 300}`)), {
        concurrency: 64,
        discard: true
      })
      yield* advance(11)
      // thousands of removals take Redis well over 2 ms on any machine: one call would hold it that long
      const wipe = yield* commandsOf(manager.wipe)
      assert.strictEqual(wipe.result, sessions)
      assert.isAtLeast(wipe.commands.length, 2)
      assert.strictEqual(yield* manager.count(), 0)
    }))

  it.scoped("one user's other sessions and a capped create's evictions go in bounded batches", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const storeOptions: RedisLayer.StoreOptions = { batchSize: 10, batchTime: "1 minute" }
      const { client, commandsOf, manager, namespace } = yield* managerOn(server.url, {}, storeOptions)
      const sessions = yield* Effect.all(Array.from({ length: 36 }, () => manager.create("many")), { concurrency: 8 })
      const others = yield* commandsOf(manager.killOtherSessions(sessions[0]!.sessionId))
      assert.strictEqual(others.result, 35)
      // 35 others in batches of at most 10: 4 calls, the last saying none are left
      assert.deepStrictEqual(others.commands, Array(4).fill("fcall"))
      assert.deepStrictEqual(yield* manager.getUserSessions("many"), [sessions[0]!.sessionId])

      // a manager with a cap of 5 meets a user who has 36: it evicts 32 in calls of at most 10
      yield* Effect.all(Array.from({ length: 35 }, () => manager.create("many")), { concurrency: 8 })
      const capped = yield* SessionManager.make({ namespace, wipeInterval: 0, maxSessionsPerUser: 5 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(client, storeOptions))
      )
      const create = yield* commandsOf(capped.create("many"))
      assert.isAtLeast(create.commands.length, 4)
      assert.strictEqual(yield* capped.countForUser("many"), 5)
      assert.isTrue(yield* capped.exists(create.result.token))
    }))

  it.scoped("a killed session with much data is freed off Redis's main thread (UNLINK)", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { client, manager } = yield* managerOn(server.url)
      const lazyfreed = Effect.promise(async () =>
        Number(/lazyfreed_objects:(\d+)/.exec(await client.info("memory"))?.[1] ?? Number.NaN)
      )
      const session = yield* manager.create("hoarder")
      // 200 entries of 100 characters: a real hash table, big enough for Redis to free it in the background
      const entries: Record<string, string> = {}
      for (let i = 0; i < 200; i++) entries[`k${i}`] = `${i}`.padEnd(100, "x")
      yield* manager.setData(session.token, entries)
      const before = yield* lazyfreed
      yield* manager.kill(session.sessionId)
      // counted once the background thread has freed it (real time: the suite's clock is a TestClock)
      let after = yield* lazyfreed
      for (let i = 0; i < 300 && after === before; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
        after = yield* lazyfreed
      }
      assert.strictEqual(after - before, 1)
    }))

  it.scoped("reads fetch the session's own fields by name, never its data (no HGETALL however much it holds)", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { client, manager } = yield* managerOn(server.url, {
        additionalFields: { role: Schema.String, visits: Schema.Number }
      })
      const session = yield* manager.create("reader", { fields: { role: "admin", visits: 1 } })
      const entries: Record<string, string> = {}
      for (let i = 0; i < 200; i++) entries[`k${i}`] = `${i}`.padEnd(100, "x")
      yield* manager.setData(session.token, entries)
      const calls = (command: string) =>
        Effect.promise(async () =>
          Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await client.info("commandstats"))?.[1] ?? 0)
        )
      yield* Effect.promise(() => client.config("RESETSTAT"))
      const read = yield* manager.get(session.token)
      yield* manager.get(session.token, { noUpdate: true })
      const written = yield* manager.write(session.sessionId, { visits: 2 })
      const oldest = yield* manager.getOldestUserSession("reader")
      const rotated = yield* manager.rotate(session.token)
      assert.strictEqual(yield* calls("hgetall"), 0)
      assert.isAtLeast(yield* calls("hmget"), 5)
      assert.deepStrictEqual(read.fields, { role: "admin", visits: 1 })
      assert.deepStrictEqual(written.fields, { role: "admin", visits: 2 })
      assert.deepStrictEqual(Option.getOrThrow(oldest).fields, { role: "admin", visits: 2 })
      assert.deepStrictEqual(rotated.fields, { role: "admin", visits: 2 })
      assert.deepStrictEqual(yield* manager.getData(rotated.token, "k199"), Option.some("199".padEnd(100, "x")))
    }))

  it.scoped("without the library: a flushed script cache (NOSCRIPT) never reaches callers", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { client, commandsOf, manager } = yield* managerOn(server.url, {}, { functions: false })
      const session = yield* manager.create("bob")
      yield* Effect.promise(() => client.script("FLUSH"))
      const read = yield* commandsOf(manager.get(session.token))
      assert.strictEqual(read.result.userId, "bob")
      assert.deepStrictEqual(read.commands, ["evalsha", "eval"])
      // the EVAL loaded it again
      assert.deepStrictEqual((yield* commandsOf(manager.get(session.token))).commands, ["evalsha"])
    }))

  it.scoped("the scripts are one Functions library: a flushed library never reaches callers, and is loaded again", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { client, commandsOf, manager } = yield* managerOn(server.url)
      const libraries = () =>
        Effect.promise(async () =>
          ((await client.call("FUNCTION", "LIST")) as Array<Array<unknown>>).map((library) => String(library[1]))
        )
      // loaded when the manager opened: every shard script is a function of it
      assert.deepStrictEqual(yield* libraries(), [Scripts.library.name])
      const session = yield* manager.create("bob")
      yield* Effect.promise(() => client.call("FUNCTION", "FLUSH"))
      // the FCALL is refused (nothing ran): the call goes by script (loaded by EVAL, as the script
      // cache does not have it either), and the library is loaded again meanwhile, on the same
      // connection, so before the call's answer
      const read = yield* commandsOf(manager.get(session.token))
      assert.strictEqual(read.result.userId, "bob")
      assert.deepStrictEqual(read.commands, ["fcall", "evalsha", "FUNCTION", "eval"])
      assert.deepStrictEqual(yield* libraries(), [Scripts.library.name])
      assert.deepStrictEqual((yield* commandsOf(manager.get(session.token))).commands, ["fcall"])
    }))

  it.scoped("a server that refuses the library (an ACL without FUNCTION) gets every call by EVALSHA", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const admin = yield* rawClient(server.url)
      yield* Effect.promise(() =>
        admin.call("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all", "-function")
      )
      const url = server.url.replace("redis://", "redis://app:app-pw@")
      const { commandsOf, manager } = yield* managerOn(url)
      assert.deepStrictEqual(yield* Effect.promise(() => admin.call("FUNCTION", "LIST")), [])
      const session = yield* manager.create("dora")
      // by EVALSHA, loaded by EVAL on its first call to this server
      const read = yield* commandsOf(manager.get(session.token))
      assert.strictEqual(read.result.userId, "dora")
      assert.deepStrictEqual(read.commands, ["evalsha", "eval"])
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha", "eval"])
      assert.deepStrictEqual((yield* commandsOf(manager.get(session.token))).commands, ["evalsha"])
    }))

  it.live("a library the server refused is loaded by a later call once it may be, then every call goes by FCALL", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const admin = yield* rawClient(server.url)
      yield* Effect.promise(() =>
        admin.call("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all", "-function")
      )
      const { commandsOf, manager } = yield* managerOn(server.url.replace("redis://", "redis://app:app-pw@"))
      const session = yield* manager.create("gil")
      // refused when the manager opened: no call tries again within the retry interval
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha", "eval"])
      yield* Effect.promise(() => admin.call("ACL", "SETUSER", "app", "+function"))
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha"])
      yield* Effect.sleep(Duration.millis(Store.loadRetryMillis))
      // the first script call after it goes by EVALSHA and loads the library meanwhile
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha", "FUNCTION"])
      // calls go by FCALL once the load's reply is in (polled: a busy machine may take a while)
      let commands: ReadonlyArray<string> = []
      for (let i = 0; i < 40 && commands[0] !== "fcall"; i++) {
        yield* Effect.sleep(Duration.millis(50))
        commands = (yield* commandsOf(manager.count())).commands
      }
      assert.deepStrictEqual(commands, ["fcall"])
      assert.strictEqual((yield* manager.get(session.token)).userId, "gil")
      assert.deepStrictEqual((yield* commandsOf(manager.get(session.token))).commands, ["fcall"])
    })))

  it.scoped("a user who may load the library but not call it (an ACL without FCALL) gets every call by EVALSHA", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const admin = yield* rawClient(server.url)
      yield* Effect.promise(() => admin.call("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all", "-fcall"))
      const { commandsOf, manager } = yield* managerOn(server.url.replace("redis://", "redis://app:app-pw@"))
      const session = yield* manager.create("fay")
      // refused (NOPERM, before it ran): the call goes again by script, and so do all after it
      assert.strictEqual((yield* manager.get(session.token)).userId, "fay")
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha", "eval"])
      assert.deepStrictEqual((yield* commandsOf(manager.count())).commands, ["evalsha"])
    }))

  it.scoped("out of memory, reads still answer and writes fail with Redis's OOM error, changing nothing", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer({ args: ["--maxmemory-policy", "noeviction"] })
      const { client, manager } = yield* managerOn(server.url)
      const session = yield* manager.create("erin")
      yield* manager.setData(session.token, "lang", "en")
      yield* Effect.promise(() => client.config("SET", "maxmemory", "1"))
      // Redis refuses a function that may write when out of memory: the calls go by script, where
      // only writes fail (and plain reads answer as ever)
      assert.strictEqual((yield* manager.get(session.token, { noUpdate: true })).userId, "erin")
      assert.isTrue(yield* manager.exists(session.token))
      assert.deepStrictEqual(yield* manager.getData(session.token, "lang"), Option.some("en"))
      assert.deepStrictEqual(yield* manager.getAllData(session.token), { lang: "en" })
      assert.strictEqual(yield* manager.count(), 1)
      const refused = yield* Effect.flip(manager.setData(session.token, "lang", "fr"))
      assert.strictEqual(refused._tag, "RedisError")
      assert.include(refused.message, "OOM")
      yield* Effect.promise(() => client.config("SET", "maxmemory", "0"))
      assert.deepStrictEqual(yield* manager.getData(session.token, "lang"), Option.some("en"))
    }))

  it.scoped("every key gets a native TTL a little past the logical expiry; ttl 0 keys persist", () =>
    Effect.gen(function*() {
      const grace = 30_000
      const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        nativeTtlGrace: Duration.millis(grace)
      })
      const session = yield* manager.create("carol")
      const keys = yield* Effect.promise(() => namespaceKeys(client, namespace))
      // the session, its user's index and the regular index (a session on the default ttl needs no expiry entry)
      assert.strictEqual(keys.length, 3)
      for (const key of keys) {
        const pttl = yield* Effect.promise(() => client.pttl(key))
        assert.isAbove(pttl, 59_000, key)
        assert.isAtMost(pttl, 60_000 + grace, key)
      }
      yield* manager.get(session.token)
      assert.isAbove(yield* Effect.promise(() => client.pttl(`{${namespace}}:s:${session.sessionId}`)), 59_000)

      const forever = yield* managerOn(inject("redisUrl"), { ttl: 0 })
      yield* forever.manager.create("dave")
      const foreverKeys = yield* Effect.promise(() => namespaceKeys(forever.client, forever.namespace))
      assert.strictEqual(foreverKeys.length, 3) // the session, its user's set and a: nothing expires, so no r and no x
      for (const key of foreverKeys) assert.strictEqual(yield* Effect.promise(() => forever.client.pttl(key)), -1, key)
    }))

  it.scoped("creates made together read each shared index's TTL once per script call, and every key still gets its TTL", () =>
    Effect.gen(function*() {
      const grace = 30_000
      const { client, commandsOf, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        nativeTtlGrace: Duration.millis(grace)
      })
      const watched = yield* watchCommands(client)
      // 16 creates, one script call: twelve regular (in r; users reg0 to reg9, reg9 with three), then
      // four on a ttl of their own (in a and x) for users reg0 to reg3, whose longer need has their
      // sets kept alive longer
      const created = yield* commandsOf(Effect.all(
        Array.from(
          { length: 16 },
          (_, i) => i < 12 ? manager.create(`reg${Math.min(i, 9)}`) : manager.create(`reg${i - 12}`, { ttl: 120 })
        ),
        { concurrency: "unbounded" }
      ))
      assert.deepStrictEqual(created.commands, ["fcall"])
      const pttls = yield* watched.of((args) => args[0]!.toLowerCase() === "pttl")
      const read = (key: string) => pttls.filter((args) => args[1] === `{${namespace}}:${key}`).length
      // without tracking: 12, 4 and 4; reg9's set 3 times; reg0's twice, for the regular need and the longer one
      assert.deepStrictEqual([read("r"), read("a"), read("x")], [1, 1, 1])
      assert.deepStrictEqual([read("u:reg9"), read("u:reg0"), read("u:reg3")], [1, 2, 2])
      const keys = yield* Effect.promise(() => namespaceKeys(client, namespace))
      assert.strictEqual(keys.length, 16 + 10 + 3) // sessions, users' sets, and r, a, x
      for (const key of keys) {
        const pttl = yield* Effect.promise(() => client.pttl(key))
        const own = key.endsWith(":a") || key.endsWith(":x") || /:u:reg[0-3]$/.test(key)
          || created.result.slice(12).some((session) => key.endsWith(session.sessionId))
        assert.isAbove(pttl, own ? 119_000 : 59_000, key)
        assert.isAtMost(pttl, (own ? 120_000 : 60_000) + grace, key)
      }
      // a session that never expires after one that does, in one script call: the keys they share lose their TTL
      yield* Effect.all([manager.create("reg0"), manager.create("reg0", { ttl: 0 })], { concurrency: "unbounded" })
      for (const key of ["a", "u:reg0"]) {
        assert.strictEqual(yield* Effect.promise(() => client.pttl(`{${namespace}}:${key}`)), -1, key)
      }
    }))

  it.scoped("a data set replacing a value of the same length writes the value alone, and the data size stays right; the session goes by its key alone", () =>
    Effect.gen(function*() {
      const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), { maxDataBytes: 100 })
      const s = yield* manager.create("dora")
      const sessionKey = `{${namespace}}:s:${s.sessionId}`
      const watched = yield* watchCommands(client)
      const hsets = () =>
        Effect.map(
          watched.of((args) => args[0]!.toLowerCase() === "hset" && args[1] === sessionKey),
          (all) => all.map((args) => args.slice(2))
        )
      const size = () => Effect.promise(() => client.hget(sessionKey, "D"))
      yield* manager.setData(s.token, "theme", "dark") // 5 + 1 + 4
      yield* manager.setData(s.token, "theme", "lite") // the same length
      yield* manager.setData(s.token, "theme", "light") // one byte more
      // a new key counts one (K); replacing one keeps the count
      assert.deepStrictEqual(yield* hsets(), [
        ["d:theme", "sdark", "D", "10", "K", "1"],
        ["d:theme", "slite"],
        ["d:theme", "slight", "D", "11"]
      ])
      assert.strictEqual(yield* size(), "11")
      assert.strictEqual(yield* Effect.promise(() => client.hget(sessionKey, "K")), "1")
      // each write's script call names the session by its key alone
      const calls = yield* watched.of((args) => args[0]!.toLowerCase() === "fcall" && args.includes(sessionKey))
      assert.strictEqual(calls.length, 3)
      for (const call of calls) assert.deepStrictEqual(call.filter((arg) => arg.includes(s.sessionId)), [sessionKey])
      assert.deepStrictEqual(yield* manager.getData(s.token, "theme"), Option.some("light"))
      // a session over a limit lowered since: even a write of the same length is refused, as any write
      const lowered = yield* SessionManager.make({ namespace, wipeInterval: 0, maxDataBytes: 10 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(client))
      )
      const refused = yield* Effect.flip(lowered.setData(s.token, "theme", "heavy"))
      assert.deepInclude(refused, { _tag: "DataTooLarge", scope: "session", size: 11, limit: 10 })
      assert.deepStrictEqual(yield* manager.getData(s.token, "theme"), Option.some("light"))
    }))

  it.live("keys touched across grace periods always outlive the sessions in them (real time)", () =>
    Effect.scoped(Effect.gen(function*() {
      // a ttl well past the test's 2 s: a machine that stalls (or a clock that steps) for a second
      // does not expire the sessions under it
      const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 10 }, {
        nativeTtlGrace: Duration.millis(400)
      })
      const sessions = yield* Effect.all([manager.create("erin"), manager.create("erin"), manager.create("finn")])
      const keys = [
        ...sessions.map((s) => `{${namespace}}:s:${s.sessionId}`),
        `{${namespace}}:u:erin`,
        `{${namespace}}:u:finn`,
        `{${namespace}}:r`
      ]
      // eighty touches 25 ms apart: ten half grace periods; without refreshes the keys would expire
      // before their sessions within 0.4 s, and with a refresh that only makes sure of the ttl they
      // would dip below it between two
      for (let i = 0; i < 80; i++) {
        yield* Effect.sleep(Duration.millis(25))
        const reads = yield* Effect.all(sessions.map((s) => manager.get(s.token)), { concurrency: "unbounded" })
        const expires = Math.max(...reads.map((read) => ms(read.expires)))
        // the server's clock and every key's TTL at one moment (MULTI), however late this process reads them
        const replies = yield* Effect.promise(() =>
          keys.reduce((multi, key) => multi.pttl(key), client.multi().time()).exec()
        )
        const [[, time], ...ttls] = replies as unknown as [[null, [string, string]], ...Array<[null, number]>]
        const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000)
        ttls.forEach(([, pttl], k) => assert.isAtLeast(now + pttl, expires - 1, `${keys[k]} after touch ${i}`))
      }
    })))

  it.scoped("with nativeTtl: false no key gets a TTL, sessions still expire on time; TTLs left by the default go, and come back to hashes and r with it", () =>
    Effect.gen(function*() {
      const { advance, client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        nativeTtl: false
      })
      const pttls = Effect.promise(async () => {
        const keys = await namespaceKeys(client, namespace)
        return Promise.all(keys.map(async (key) => [key, await client.pttl(key)] as const))
      })
      const regular = yield* manager.create("erin")
      const longer = yield* manager.create("erin", { ttl: 600 })
      yield* manager.setData(regular.token, "k", "v")
      yield* advance(30)
      yield* manager.get(longer.token)
      const keys = yield* pttls
      assert.strictEqual(keys.length, 6) // 2 sessions, the user's index, r, a and x
      for (const [key, pttl] of keys) assert.strictEqual(pttl, -1, key)
      yield* advance(31)
      assert.isFalse(yield* manager.exists(regular.token))
      assert.isTrue(yield* manager.exists(longer.token))
      assert.strictEqual(yield* manager.wipe, 1)
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])

      // keys written with TTLs (the default), then touched by a manager without: their TTLs go
      const withTtls = yield* managerOn(inject("redisUrl"), { ttl: 60 })
      const session = yield* withTtls.manager.create("fay")
      const without = yield* SessionManager.make({ namespace: withTtls.namespace, wipeInterval: 0, ttl: 60 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(withTtls.client, { nativeTtl: false }))
      )
      yield* without.get(session.token)
      const after = yield* Effect.promise(() => namespaceKeys(withTtls.client, withTtls.namespace))
      assert.strictEqual(after.length, 3) // the session, its user's set and r
      for (const key of after) assert.strictEqual(yield* Effect.promise(() => withTtls.client.pttl(key)), -1, key)

      // keys written without TTLs, then touched in a later half grace period by a manager with them:
      // the session's hash and r get one (all they hold expires within the ttl); the user's set,
      // which could hold a session that never expires, is left as it is
      const bare = yield* managerOn(inject("redisUrl"), { ttl: 60 }, { nativeTtl: false })
      const old = yield* bare.manager.create("gus")
      const withTtl = yield* SessionManager.make({ namespace: bare.namespace, wipeInterval: 0, ttl: 60 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(bare.client, { nativeTtlGrace: Duration.millis(400) }))
      )
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 250)))
      yield* withTtl.get(old.token)
      const pttlOf = (key: string) => Effect.promise(() => bare.client.pttl(`{${bare.namespace}}:${key}`))
      for (const key of [`s:${old.sessionId}`, "r"]) {
        const pttl = yield* pttlOf(key)
        assert.isAbove(pttl, 59_000, key)
        assert.isAtMost(pttl, 60_400, key)
      }
      assert.strictEqual(yield* pttlOf("u:gus"), -1)
    }))

  it.scoped("a session's hash stores its user, times and ttl; its last access equals its user index score, expiry follows", () =>
    Effect.gen(function*() {
      const { advance, client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {})
      const plain = yield* manager.create("gus")
      const capped = yield* manager.create("gus", { ttl: 600 })
      const fieldsOf = (sessionId: string) =>
        Effect.promise(async () => Object.keys(await client.hgetall(`{${namespace}}:s:${sessionId}`)).sort())
      assert.deepStrictEqual(yield* fieldsOf(plain.sessionId), ["a", "c", "t", "u"])
      yield* advance(5)
      const read = yield* manager.get(plain.token)
      assert.deepStrictEqual(yield* fieldsOf(plain.sessionId), ["a", "c", "t", "u"]) // a touch adds no field
      const lastAccess = yield* Effect.promise(() => client.hget(`{${namespace}}:s:${plain.sessionId}`, "a"))
      assert.strictEqual(Number(lastAccess), ms(read.lastAccess))
      assert.isAtLeast(ms(read.lastAccess), ms(read.createdAt) + 5_000) // the server's clock runs on too
      assert.strictEqual(ms(read.expires), ms(read.lastAccess) + 60_000)
      const score = yield* Effect.promise(() => client.zscore(`{${namespace}}:u:gus`, plain.sessionId))
      assert.strictEqual(Number(score), ms(read.lastAccess))
      const cappedRead = yield* manager.get(capped.token, { noUpdate: true })
      assert.strictEqual(ms(cappedRead.expires), ms(cappedRead.lastAccess) + 600_000)
      assert.strictEqual(cappedRead.lastAccess, capped.createdAt)

      const limited = yield* managerOn(inject("redisUrl"), { ttl: 60, maxLifetime: 90 })
      const deadline = yield* limited.manager.create("hal")
      const stored = yield* Effect.promise(() =>
        limited.client.hgetall(`{${limited.namespace}}:s:${deadline.sessionId}`)
      )
      assert.deepStrictEqual(Object.keys(stored).sort(), ["a", "c", "l", "t", "u"])
      assert.strictEqual(Number(stored.l), ms(deadline.createdAt) + 90_000)
    }))

  it.scoped("a rotation keeps every key's native TTL, the sets whose only member it moves included", () =>
    Effect.gen(function*() {
      // a regular session (in r) and one with a ttl of its own (in a and x), each alone in its sets
      for (const ttl of [undefined, 600]) {
        const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 })
        const session = yield* manager.create("olga", ttl === undefined ? {} : { ttl })
        const rotated = yield* manager.rotate(session.token)
        const keys = yield* Effect.promise(() => namespaceKeys(client, namespace))
        const p = `{${namespace}}:`
        assert.deepStrictEqual(
          keys,
          [
            ...(ttl === undefined ? [] : [`${p}a`]),
            `${p}f:${session.sessionId}`,
            ...(ttl === undefined ? [`${p}r`] : []),
            `${p}s:${rotated.sessionId}`,
            `${p}u:olga`,
            ...(ttl === undefined ? [] : [`${p}x`])
          ].sort()
        )
        for (const key of keys) assert.isAbove(yield* Effect.promise(() => client.pttl(key)), 0, key)
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])
      }
    }))

  it.scoped("a killed session stays keyless after writes, and a rotated one leaves no key under its old id", () =>
    Effect.gen(function*() {
      const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), {
        ttl: 0,
        additionalFields: { level: Schema.Number }
      })
      const killed = yield* manager.create("kim", { fields: { level: 1 } })
      yield* manager.kill(killed.sessionId)
      yield* Effect.flip(manager.write(killed.sessionId, { level: 2 }))
      yield* Effect.flip(manager.setData(killed.token, "k", 1))
      const rotated = yield* manager.create("kim", { ttl: 0, fields: { level: 1 } })
      const renewed = yield* manager.rotate(rotated.token)
      const keys = yield* Effect.promise(() => namespaceKeys(client, namespace))
      const sessionKeys = keys.filter((key) => key.includes(":s:"))
      assert.deepStrictEqual(sessionKeys, [`{${namespace}}:s:${renewed.sessionId}`])
      assert.isFalse(keys.some((key) => key.endsWith(killed.sessionId) && !key.includes(":f:")))
    }))

  it.scoped("listings page through r and a merged in sorted-set order (score, then member bytes), ties included", () =>
    Effect.gen(function*() {
      const { client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, { pageSize: 3 })
      const [seconds] = yield* Effect.promise(() => client.time())
      const base = Number(seconds) * 1000 - 20_000
      // regular sessions (in r) and sessions that never expire (in a), with last accesses rewritten
      // so that the two sets interleave and tie; each written where the scripts keep it
      const sessions: Array<{ id: string; user: string; score: number; set: "r" | "a" }> = []
      for (let k = 0; k < 14; k++) {
        const user = `u${k % 4}`
        const inA = k % 3 === 0
        const created = yield* manager.create(user, inA ? { ttl: 0 } : {})
        sessions.push({ id: created.sessionId, user, score: base + Math.floor(k / 2) * 1000, set: inA ? "a" : "r" })
      }
      yield* Effect.promise(async () => {
        for (const s of sessions) {
          await client.zadd(`{${namespace}}:${s.set}`, s.score, s.id)
          await client.zadd(`{${namespace}}:u:${s.user}`, s.score, s.id)
          await client.hset(`{${namespace}}:s:${s.id}`, "a", s.score)
        }
      })
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])
      const order = (list: typeof sessions) =>
        [...list].sort((x, y) => x.score - y.score || Buffer.compare(Buffer.from(x.id), Buffer.from(y.id))).map((s) =>
          s.id
        )
      const listed = (ids: ReadonlyArray<string>): Array<string> => [...ids]
      assert.deepStrictEqual(listed(yield* manager.getAllSessions()), order(sessions))
      // a window starting half-way between two scores: the sessions accessed at base + 3 s and later
      const [later, micros] = yield* Effect.promise(() => client.time())
      const windowSecs = (Number(later) * 1000 + Math.floor(Number(micros) / 1000) - (base + 2_500)) / 1000
      assert.deepStrictEqual(
        listed(yield* manager.getAllSessions(windowSecs)),
        order(sessions.filter((s) => s.score >= base + 3_000))
      )
      assert.deepStrictEqual(
        listed(yield* manager.getUserSessions("u1")),
        order(sessions.filter((s) => s.user === "u1"))
      )
      // users, read from the sessions' hashes page by page: each at their latest session (u2 and u3
      // tie at base + 5 s, u0 and u1 at base + 6 s: ties go by user id), then within the window
      const usersBy = (list: typeof sessions) => {
        const latest = new Map<string, number>()
        for (const s of list) latest.set(s.user, Math.max(latest.get(s.user) ?? 0, s.score))
        return [...latest].sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b))).map((
          [u]
        ) => u)
      }
      assert.deepStrictEqual(usersBy(sessions), ["u2", "u3", "u0", "u1"])
      assert.deepStrictEqual(listed(yield* manager.getAllUsers()), usersBy(sessions))
      assert.deepStrictEqual(
        listed(yield* manager.getAllUsers(windowSecs)),
        usersBy(sessions.filter((s) => s.score >= base + 3_000))
      )
    }))

  it.scoped("users are listed past a page whose sessions lost their hash (evicted, say): none of those users, all the others", () =>
    Effect.gen(function*() {
      const { advance, client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, { pageSize: 2 })
      const sessions: Array<{ readonly sessionId: string }> = []
      for (let k = 0; k < 6; k++) {
        sessions.push(yield* manager.create(`user${k}`))
        yield* advance(1)
      }
      // the first page's two sessions keep their index entries, their hashes gone
      yield* Effect.promise(() => client.del(...sessions.slice(0, 2).map((s) => `{${namespace}}:s:${s.sessionId}`)))
      assert.deepStrictEqual([...(yield* manager.getAllUsers())], ["user2", "user3", "user4", "user5"])
      assert.strictEqual((yield* manager.getAllSessions()).length, 6)
    }))

  it.scoped("listings longer than a page, over several shards, come merged oldest first", () =>
    Effect.gen(function*() {
      const { advance, manager } = yield* managerOn(inject("redisUrl"), { ttl: 60, shards: 4 }, { pageSize: 2 })
      const ids: Array<string> = []
      for (let k = 0; k < 11; k++) {
        ids.push((yield* manager.create(`user${k}`, k % 4 === 0 ? { ttl: 0 } : {})).sessionId)
        yield* advance(1)
      }
      const listed = (list: ReadonlyArray<string>): Array<string> => [...list]
      assert.deepStrictEqual(listed(yield* manager.getAllSessions()), ids)
      assert.deepStrictEqual(listed(yield* manager.getAllUsers()), ids.map((_, k) => `user${k}`))
      assert.deepStrictEqual(listed(yield* manager.getAllSessions(5.5)), ids.slice(-5))
    }))

  it.scoped("sessions of a sharded namespace carry their user's shard, so a lookup by id goes to its slot", () =>
    Effect.gen(function*() {
      const { manager } = yield* managerOn(inject("redisUrl"), { shards: 8 })
      const sessions = yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => `user${i}`), (u) => manager.create(u))
      const shardOf = (id: string) => id.split(".")[0]
      assert.isAbove(new Set(sessions.map((s) => shardOf(s.sessionId))).size, 1)
      const more = yield* Effect.all([manager.create("user0"), manager.create("user0")])
      assert.strictEqual(new Set([sessions[0]!, ...more].map((s) => shardOf(s.sessionId))).size, 1)
      const rotated = yield* manager.rotate(more[0].token)
      assert.strictEqual(shardOf(rotated.sessionId), shardOf(more[0].sessionId))
    }))

  it.scoped("all keys stay under the namespace's hash tag, whatever the user ids", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer()
      const { client, manager, namespace } = yield* managerOn(server.url)
      for (const userId of ["}", "{", "x}:s:y", "{other}:a", "*", "a b\nc", "😀"]) {
        const session = yield* manager.create(userId)
        yield* manager.get(session.token)
      }
      const all = yield* Effect.promise(() => client.keys("*"))
      assert.isAbove(all.length, 7)
      for (const key of all) assert.isTrue(key.startsWith(`{${namespace}}:`), key)
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])
    }))

  it.scoped("the indexes stay exact through a mix of operations, expiry and wipes", () =>
    Effect.gen(function*() {
      const { advance, client, manager, namespace } = yield* managerOn(inject("redisUrl"), { ttl: 20 })
      const ids: Array<string> = []
      for (let step = 0; step < 200; step++) {
        const pick = ids[(step * 7) % Math.max(ids.length, 1)]
        switch (step % 9) {
          case 0:
          case 1:
          case 2:
            ids.push(
              (yield* manager.create(`user${step % 6}`, { ttl: step % 5 === 0 ? 0 : 5 + (step % 30) })).sessionId
            )
            break
          case 3:
            if (pick) yield* Effect.either(manager.get(pick))
            break
          case 4:
            if (pick) yield* manager.kill(pick)
            break
          case 5:
            yield* advance(3)
            break
          case 6:
            yield* manager.wipe
            break
          case 7:
            if (step % 4 === 0) yield* manager.killUser(`user${step % 6}`)
            break
          case 8:
            yield* manager.getOldestUserSession(`user${step % 6}`)
            break
        }
        if (step % 20 === 19) {
          assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [], `step ${step}`)
        }
      }
      yield* advance(100)
      yield* manager.wipe
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])
    }))

  it.scoped("gets and writes from another connection racing a kill never resurrect the session", () =>
    Effect.gen(function*() {
      const url = inject("redisUrl")
      const a = yield* managerOn(url)
      const b = yield* managerOnOwnConnection(url, a.namespace)
      for (let round = 0; round < 100; round++) {
        const session = yield* a.manager.create(`racer${round % 3}`)
        yield* Effect.all([
          Effect.either(b.get(session.token)),
          Effect.either(b.write(session.sessionId, {})),
          a.manager.kill(session.sessionId),
          Effect.either(b.get(session.token)),
          Effect.either(b.getOldestUserSession(`racer${round % 3}`))
        ], { concurrency: "unbounded" })
        assert.isFalse(yield* b.exists(session.token))
      }
      assert.deepStrictEqual(yield* Effect.promise(() => namespaceKeys(a.client, a.namespace)), [])
    }))
})

/**
 * Every call waits for its turn's end, as these tests count what a turn's calls make (a lone call
 * going at once: below).
 */
const atTurnEnd = { loneCallsAtOnce: false } as const

/** Reads by script too, as these tests gather script calls (plain reads: below). */
const byScript = { ...atTurnEnd, plainReads: false } as const

describe("Redis store: calls gathered", () => {
  it.scoped("calls made together on one shard go as one script call per 16, each with its own reply", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), {}, byScript)
      const sessions = yield* Effect.all(Array.from({ length: 40 }, (_, i) => manager.create(`user${i % 7}`)))
      yield* manager.kill(sessions[3]!.sessionId)
      const exists = yield* commandsOf(
        Effect.all(sessions.map((session) => manager.exists(session.token)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(exists.commands, ["fcall", "fcall", "fcall"]) // 16 + 16 + 8
      assert.deepStrictEqual(exists.result, sessions.map((_, i) => i !== 3))
      const reads = yield* commandsOf(
        Effect.all(
          sessions.map((session) =>
            manager.get(session.token).pipe(
              Effect.asSome,
              Effect.catchTag("SessionNotFound", () => Effect.succeedNone)
            )
          ),
          { concurrency: "unbounded" }
        )
      )
      assert.strictEqual(reads.commands.filter((command) => command === "fcall").length, 3)
      reads.result.forEach((read, i) => {
        if (i === 3) assert.isTrue(Option.isNone(read))
        else assert.strictEqual(Option.getOrThrow(read).userId, `user${i % 7}`)
      })
      // one after another: one script call each
      const sequential = yield* commandsOf(Effect.all(sessions.slice(0, 3).map((s) => manager.exists(s.token))))
      assert.deepStrictEqual(sequential.commands, ["fcall", "fcall", "fcall"])
    }))

  it.scoped("a gathered script call and a plain read reach the driver flat: it copies no argument list again", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), {}, atTurnEnd)
      const sessions = yield* Effect.all(Array.from({ length: 16 }, (_, i) => manager.create(`user${i}`)))
      // ioredis 6 flattens a command's arguments as it makes it (Array.prototype.flat, per element slow)
      const flattened: Array<number> = []
      const flat = Array.prototype.flat
      const spy = function(this: Array<unknown>, ...args: Parameters<typeof flat>) {
        flattened.push(this.length)
        return flat.apply(this, args)
      }
      const { commands, result: gathered } = yield* commandsOf(Effect.acquireUseRelease(
        Effect.sync(() => {
          Array.prototype.flat = spy as typeof flat
        }),
        () =>
          Effect.all([
            Effect.all(Array.from({ length: 16 }, (_, i) => manager.create(`other${i}`)), { concurrency: "unbounded" }),
            Effect.all(sessions.map((session) => manager.exists(session.token)), { concurrency: "unbounded" }),
            Effect.all(sessions.map((session) => manager.get(session.token, { noUpdate: true })), {
              concurrency: "unbounded"
            })
          ]),
        () =>
          Effect.sync(() => {
            Array.prototype.flat = flat
          })
      ))
      // the creates by script, the reads by HMGET between TIMEs
      assert.includeMembers(commands, ["fcall", "hmget", "time"])
      assert.strictEqual(gathered[0].length, 16)
      assert.isTrue(gathered[1].every(Boolean))
      // the commands are made empty: nothing of their arguments is flattened
      assert.deepStrictEqual(flattened.filter((length) => length > 0), [])
      assert.isAbove(flattened.length, 0) // the spy saw the commands being made
    }))

  it.scoped("Command.send answers as the driver's own call would: strings, HGETALL as an object, errors rejected", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      const key = `${uniqueNamespace("command")}:h`
      yield* Effect.promise(() => client.hset(key, "a", "1", "b", "two"))
      const both = (name: string, args: Array<string>) =>
        Effect.promise(() =>
          Promise.all(
            [Command.send(client, name, args), client.call(name, ...args)].map((p) => p.then((r) => r, String))
          )
        )
      for (
        const [name, args] of [
          ["hmget", [key, "a", "missing", "b"]],
          ["hgetall", [key]],
          ["eval", ["return {1, 'x', redis.call('HGET', KEYS[1], 'b')}", "1", key]],
          ["hget", [key, "a", "extra"]] // wrong number of arguments: rejected
        ] as const
      ) {
        const [ours, theirs] = yield* both(name, [...args])
        assert.deepStrictEqual(ours, theirs, name)
      }
      const [time] = yield* both("time", [])
      assert.match(String((time as Array<string>)[0]), /^\d+$/)
      yield* Effect.promise(() => client.del(key))
    }))

  it.scoped("a call that fails in a batch fails alone: the others get their replies", () =>
    Effect.gen(function*() {
      const { client, commandsOf, manager, namespace } = yield* managerOn(inject("redisUrl"), {}, byScript)
      const [a, b, c] = yield* Effect.all([manager.create("alice"), manager.create("bob"), manager.create("carol")])
      yield* manager.get(a!.token)
      // bob's session hash becomes a string: reading it fails with WRONGTYPE
      const key = keyspace(namespace).session(b!.sessionId)
      yield* Effect.promise(() => client.del(key).then(() => client.set(key, "not a hash")))
      const { commands, result } = yield* commandsOf(
        Effect.all([a!, b!, c!].map((session) => Effect.either(manager.get(session.token))), {
          concurrency: "unbounded"
        })
      )
      assert.deepStrictEqual(commands, ["fcall"])
      const [ra, rb, rc] = result
      assert.strictEqual(Either.getOrThrow(ra!).userId, "alice")
      assert.strictEqual(Either.getOrThrow(rc!).userId, "carol")
      assert.isTrue(Either.isLeft(rb!))
      const error = Either.getLeft(rb!).pipe(Option.getOrThrow)
      assert.strictEqual(error._tag, "RedisError")
      assert.include(error.message, "WRONGTYPE")
      yield* Effect.promise(() => client.del(key))
    }))

  it.scoped("identical reads and touches made together run once; identical writes do not", () =>
    Effect.gen(function*() {
      const { client, manager } = yield* managerOn(inject("redisUrl"), {}, byScript)
      /** The keys of its calls each FCALL carried (after the shard's three): one per get, two per kill. */
      const carried: Array<number> = []
      const send = client.sendCommand.bind(client)
      client.sendCommand = (...args: Parameters<typeof client.sendCommand>) => {
        if (args[0].name === "fcall") carried.push(Number(args[0].args[1]) - 3)
        return send(...args)
      }
      const [alice, bob] = yield* Effect.all([manager.create("alice"), manager.create("bob")])
      carried.length = 0
      const reads = yield* Effect.all(
        [...Array.from({ length: 10 }, () => manager.get(alice!.token)), manager.get(bob!.token)],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(carried, [2])
      for (const read of reads.slice(0, 10)) assert.deepStrictEqual(read, reads[0])
      assert.strictEqual(reads[10]!.userId, "bob")
      carried.length = 0
      const live = yield* Effect.all(Array.from({ length: 5 }, () => manager.exists(bob!.token)), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(live, Array(5).fill(true))
      assert.deepStrictEqual(carried.slice(-1), [1])
      // two kills of one id both run: the second finds nothing left
      const carol = yield* manager.create("carol")
      carried.length = 0
      yield* Effect.all([manager.kill(carol.sessionId), manager.kill(carol.sessionId)], { concurrency: "unbounded" })
      assert.deepStrictEqual(carried, [4])
      assert.isFalse(yield* manager.exists(carol.token))
    }))

  it.scoped("calls started by separate events of one turn of the event loop share a script call", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), {}, byScript)
      const sessions = yield* Effect.all(Array.from({ length: 3 }, (_, i) => manager.create(`visitor${i}`)))
      const runtime = yield* Effect.runtime<never>()
      // three immediates queued together run as three callbacks in one turn, as requests arriving on
      // three sockets would (timers would not do: Node may find one due a millisecond before the others)
      const fromTimers = Effect.promise(() =>
        Promise.all(
          sessions.map((session) =>
            new Promise<boolean>((resolve, reject) =>
              setImmediate(() => Runtime.runPromise(runtime)(manager.exists(session.token)).then(resolve, reject))
            )
          )
        )
      )
      const { commands, result } = yield* commandsOf(fromTimers)
      assert.deepStrictEqual(result, [true, true, true])
      assert.deepStrictEqual(commands, ["fcall"])
    }))

  it.scoped("counts made together share one sweep budget per script call", () =>
    Effect.gen(function*() {
      const { advance, client, commandsOf, manager } = yield* managerOn(inject("redisUrl"), { ttl: 10 }, {
        ...byScript,
        batchSize: 10,
        batchTime: "1 minute"
      })
      yield* Effect.all(Array.from({ length: 35 }, (_, i) => manager.create(`old${i}`)), { concurrency: 8 })
      yield* advance(11)
      yield* Effect.all(Array.from({ length: 5 }, (_, i) => manager.create(`new${i}`)))
      /** What each FCALL answered for each of its calls. */
      const answers: Array<ReadonlyArray<unknown>> = []
      const send = client.sendCommand.bind(client)
      client.sendCommand = (...args: Parameters<typeof client.sendCommand>) => {
        const [command] = args
        if (command.name === "fcall") {
          void command.promise.then((reply) => answers.push((reply as [ReadonlyArray<unknown>, unknown])[0]))
        }
        return send(...args)
      }
      // eight counts of different windows, so that none share a run
      const counts = yield* commandsOf(
        Effect.all(Array.from({ length: 8 }, (_, i) => manager.count(3600 + i)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(counts.result, Array(8).fill(5))
      // 35 expired sessions, at most 10 removed per script call whatever the calls in it: the first
      // count used the whole budget, so every count of that script call says to call again (-1),
      // and it takes 4 script calls
      assert.deepStrictEqual(answers[0], Array(8).fill(-1))
      assert.deepStrictEqual(counts.commands, Array(4).fill("fcall"))
    }))

  it.scoped("a batch goes once it holds 64 KiB of arguments, and capped creates share a script call", () =>
    Effect.gen(function*() {
      const { advance, commandsOf, manager } = yield* managerOn(inject("redisUrl"), {
        maxSessionsPerUser: 2,
        maxDataValueBytes: 64 * 1024
      }, atTurnEnd)
      const sessions = yield* Effect.all(Array.from({ length: 5 }, (_, i) => manager.create(`writer${i}`)))
      yield* manager.setData(sessions[0]!.token, "warm-up", 1)
      const value = "x".repeat(30 * 1024)
      const written = yield* commandsOf(
        Effect.all(sessions.map((session) => manager.setData(session.token, "blob", value)), {
          concurrency: "unbounded"
        })
      )
      // 30 KiB each: three make a batch of more than 64 KiB, which goes at once; the other two follow
      assert.deepStrictEqual(written.commands, ["fcall", "fcall"])
      for (const session of sessions) {
        assert.strictEqual(Option.getOrThrow(yield* manager.getData(session.token, "blob")), value)
      }
      // under a per-user limit too, creates made together share a script call, each making room in
      // turn (the script call's removals stop at its batch time), and the session made before them goes first
      const first = yield* manager.create("capped")
      // a second later by the store's clock: within one millisecond the five would share a moment
      yield* advance(1)
      const capped = yield* commandsOf(
        Effect.all(Array.from({ length: 4 }, () => manager.create("capped")), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(capped.commands, ["fcall"])
      assert.strictEqual(yield* manager.countForUser("capped"), 2)
      assert.isFalse(yield* manager.exists(first.token))
      // the four share one moment, so which two of them stay is not the order they were made in
      const kept = yield* Effect.all(capped.result.map((session) => manager.exists(session.token)))
      assert.strictEqual(kept.filter((alive) => alive).length, 2)
    }))

  it.scoped("a call that would take a batch past 1,024 arguments goes in the next one: many-key data writes go apart", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), {}, atTurnEnd)
      const sessions = yield* Effect.all(Array.from({ length: 4 }, (_, i) => manager.create(`many-keys${i}`)))
      yield* manager.setData(sessions[0]!.token, "warm-up", 1)
      const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, k]))
      const writeAll = (n: number) =>
        commandsOf(Effect.all(sessions.map((session) => manager.setData(session.token, entries(n))), {
          concurrency: "unbounded"
        }))
      // 100 keys each (200 arguments and a few): the four share one script call
      assert.deepStrictEqual((yield* writeAll(100)).commands, ["fcall"])
      // 400 each: two would pass 1,024, so each goes in a script call of its own
      const apart = yield* writeAll(400)
      assert.deepStrictEqual(apart.commands, ["fcall", "fcall", "fcall", "fcall"])
      assert.deepStrictEqual(apart.result, [400, 400, 400, 400])
      for (const session of sessions) {
        assert.strictEqual(
          Object.keys(yield* manager.getAllData(session.token)).length,
          400 + (session === sessions[0] ? 1 : 0)
        )
      }
    }))

  it.scoped("capped creates made together into a long backlog of sessions each remove in bounded steps, and end at the cap", () =>
    Effect.gen(function*() {
      // a limit lowered to 2 over 40 sessions; a batch time of 0: every loop that removes stops after one removal
      const { client, commandsOf, namespace } = yield* managerOn(inject("redisUrl"))
      const before = yield* SessionManager.make({ namespace, wipeInterval: 0 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(client))
      )
      yield* Effect.all(Array.from({ length: 40 }, () => before.create("backlog")))
      // a few milliseconds by the server's clock: the new sessions are not of the backlog's last moment
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      const capped = yield* SessionManager.make({ namespace, wipeInterval: 0, maxSessionsPerUser: 2 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(client, { batchTime: 0 }))
      )
      const created = yield* commandsOf(
        Effect.all(Array.from({ length: 3 }, () => capped.create("backlog")), { concurrency: "unbounded" })
      )
      // 41 removals in all, at most one per create per script call: more than a dozen calls
      assert.isAbove(created.commands.filter((command) => command === "fcall").length, 12)
      assert.strictEqual(yield* capped.countForUser("backlog"), 2)
      const live = yield* Effect.all(created.result.map((session) => capped.exists(session.token)))
      assert.strictEqual(live.filter((alive) => alive).length, 2)
    }))
})

describe("Redis store: plain reads", () => {
  /** The commands of a read made by HMGET, and of one the HMGET could not settle (then by script). */
  const plain = ["time", "hmget", "time"]
  const thenScript = [...plain, "fcall"]

  it("a data read of one key reuses its field list, and keeps a bounded number of them", () => {
    const lang = Store.dataReadFields(["lang"])
    assert.deepStrictEqual(lang, [...Store.liveFields, `${Format.dataPrefix}lang`])
    assert.strictEqual(Store.dataReadFields(["lang"]), lang)
    // several keys: a list of their own each time
    const two = Store.dataReadFields(["lang", "tz"])
    assert.deepStrictEqual(two, [...Store.liveFields, `${Format.dataPrefix}lang`, `${Format.dataPrefix}tz`])
    assert.notStrictEqual(Store.dataReadFields(["lang", "tz"]), two)
    // as many other keys as are kept: the lists start again, so "lang" gets a new (equal) one
    for (let i = 0; i < Store.keptDataReads; i++) Store.dataReadFields([`other${i}`])
    const again = Store.dataReadFields(["lang"])
    assert.notStrictEqual(again, lang)
    assert.deepStrictEqual(again, lang)
  })

  /**
   * Three sessions (a with data, c killed), then nine reads of them made together: three identical
   * exists of a, b's and c's, a's getData, b's get without update, a's inspect and getAllData.
   */
  /** `managerOn`'s `commandsOf`. */
  type CommandsOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<{
    readonly result: A
    readonly commands: Array<string>
    readonly withArgs: Array<ReadonlyArray<string>>
  }, E>

  /** 70 new sessions, then an `exists` of each made together: all live. */
  const seventyExists = (manager: SessionManager.SessionManagerService<unknown>, commandsOf: CommandsOf) =>
    Effect.gen(function*() {
      const many = yield* Effect.all(Array.from({ length: 70 }, (_, i) => manager.create(`many${i}`)))
      const all = yield* commandsOf(
        Effect.all(many.map((session) => manager.exists(session.token)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(all.result, Array(70).fill(true))
      return all
    })

  const nineReads = (manager: SessionManager.SessionManagerService<unknown>, commandsOf: CommandsOf) =>
    Effect.gen(function*() {
      const [a, b, c] = yield* Effect.all([manager.create("alice"), manager.create("bob"), manager.create("carol")])
      yield* manager.setData(a!.token, "lang", "en")
      yield* manager.kill(c!.sessionId)
      const reads = yield* commandsOf(Effect.all([
        manager.exists(a!.token),
        manager.exists(a!.token),
        manager.exists(a!.token),
        manager.exists(b!.token),
        manager.exists(c!.token),
        manager.getData(a!.token, "lang"),
        Effect.map(manager.get(b!.token, { noUpdate: true }), (session) => String(session.userId)),
        Effect.map(manager.inspect(a!.sessionId), (session) => String(session.userId)),
        manager.getAllData(a!.token)
      ], { concurrency: "unbounded" }))
      assert.deepStrictEqual<ReadonlyArray<unknown>>(reads.result, [
        true,
        true,
        true,
        true,
        false,
        Option.some("en"),
        "bob",
        "alice",
        { lang: "en" }
      ])
      return { a: a!, b: b!, c: c!, reads }
    })

  it("a stored time is read as a number only when it is one to 15 digits (else the script reads it)", () => {
    const read = ["0", "1800000", "999999999999999", null].map(Format.storedNumber)
    assert.deepStrictEqual(read, [0, 1_800_000, 999_999_999_999_999, 0])
    for (const value of ["", "1000000000000000", "1.5", "-5", " 5", "5 ", "1e3", "0x1F", "١٢", "12a"]) {
      assert.strictEqual(Format.storedNumber(value), undefined, JSON.stringify(value))
    }
    // last access and expiry: the ttl's, or the deadline when it comes first; 0 never expires
    assert.deepStrictEqual(Format.storedTimes("1000", "1800000", null), [1000, 1_801_000])
    assert.deepStrictEqual(Format.storedTimes("1000", "1800000", "1500"), [1000, 1500])
    assert.deepStrictEqual(Format.storedTimes("1000", "0", null), [1000, 0])
    assert.strictEqual(Format.storedTimes("1000", "18e5", null), undefined)
  })

  it.scoped("reads that change nothing go as HMGETs between two TIMEs, one write a turn; identical ones read once", () =>
    Effect.gen(function*() {
      const { advance, client, commandsOf, manager, namespace } = yield* managerOn(
        inject("redisUrl"),
        { ttl: 60 },
        atTurnEnd
      )
      const { a, b, reads } = yield* nineReads(manager, commandsOf)
      // a's three exists read once; a's getData, b's get and a's inspect read other fields, and
      // getAllData the whole hash
      assert.deepStrictEqual(reads.commands, ["time", ...Array(6).fill("hmget"), "hgetall", "time"])
      // one after another: two TIMEs each
      const sequential = yield* commandsOf(Effect.all([manager.exists(a!.token), manager.exists(b!.token)]))
      assert.deepStrictEqual(sequential.commands, [...plain, ...plain])
      // at most 32 reads between two TIMEs
      const all = yield* seventyExists(manager, commandsOf)
      assert.deepStrictEqual(all.commands, [
        "time",
        ...Array(32).fill("hmget"),
        "time",
        "time",
        ...Array(32).fill("hmget"),
        "time",
        "time",
        ...Array(6).fill("hmget"),
        "time"
      ])
      // expired (by the store's clock): not live, by HMGET alone
      yield* advance(61)
      const expired = yield* commandsOf(Effect.all([
        manager.exists(a!.token),
        Effect.flip(manager.get(a!.token, { noUpdate: true })),
        Effect.flip(manager.getData(a!.token, "lang")),
        Effect.flip(manager.getAllData(a!.token))
      ]))
      assert.deepStrictEqual(expired.result[0], false)
      assert.strictEqual(expired.result[1]._tag, "SessionNotFound")
      assert.strictEqual(expired.result[2]._tag, "SessionNotFound")
      assert.strictEqual(expired.result[3]._tag, "SessionNotFound")
      assert.deepStrictEqual(expired.commands, [...plain, ...plain, ...plain, "time", "hgetall", "time"])
      // and nothing written: the wipe still finds it
      assert.strictEqual(yield* Effect.promise(() => client.exists(keyspace(namespace).session(a!.sessionId))), 1)
    }))

  it.scoped("the reads of a turn share two TIMEs whatever their shard: one connection", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), { shards: 4 }, atTurnEnd)
      const sessions = yield* Effect.all(Array.from({ length: 12 }, (_, i) => manager.create(`spread${i}`)))
      const shards = new Set(sessions.map((session) => session.sessionId.split(".")[0]))
      assert.isAbove(shards.size, 2)
      const reads = yield* commandsOf(
        Effect.all(sessions.map((session) => manager.exists(session.token)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(reads.result, Array(12).fill(true))
      assert.deepStrictEqual(reads.commands, ["time", ...Array(12).fill("hmget"), "time"])
    }))

  it.scoped("with readBatches: \"script\", four or more reads a turn go as one call of the reads function, three as HMGETs", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        ...atTurnEnd,
        readBatches: "script"
      })
      const { a, b, c, reads } = yield* nineReads(manager, commandsOf)
      // a's three exists read once; a's getData, b's get and a's inspect read other fields, and
      // getAllData the whole hash: seven reads, one script call
      assert.deepStrictEqual(reads.commands, ["fcall"])
      const script = reads.withArgs[0]!
      assert.deepStrictEqual(script.slice(0, 3), ["fcall", Scripts.reads.function!, "7"])
      // each field list goes once (four: exists, getData, get, and -1 for the whole hash), then each read's
      assert.deepStrictEqual(script.slice(3 + 7, 3 + 7 + 2), ["4", String(Store.liveFields.length)])
      assert.deepStrictEqual(script.slice(-7), ["1", "1", "1", "2", "3", "3", "4"])
      // three reads: HMGETs between two TIMEs
      const three = yield* commandsOf(Effect.all(
        [manager.exists(a!.token), manager.exists(b!.token), manager.exists(c!.token)],
        { concurrency: "unbounded" }
      ))
      assert.deepStrictEqual(three.result, [true, true, false])
      assert.deepStrictEqual(three.commands, ["time", "hmget", "hmget", "hmget", "time"])
      // at most 32 reads a call
      const all = yield* seventyExists(manager, commandsOf)
      assert.deepStrictEqual(all.commands, ["fcall", "fcall", "fcall"])
      assert.deepStrictEqual(all.withArgs.map((command) => command[2]), ["32", "32", "6"])
    }))

  it.scoped("with readBatches: \"script\", a turn's reads holding two whole-hash reads or more go as commands", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        ...atTurnEnd,
        readBatches: "script"
      })
      const sessions = yield* Effect.all(Array.from({ length: 4 }, (_, i) => manager.create(`whole${i}`)))
      yield* Effect.forEach(sessions, (session, i) => manager.setData(session.token, "n", i))
      const exists = sessions.map((session) => manager.exists(session.token))
      // one whole-hash read among HMGETs: one call of the reads function still
      const one = yield* commandsOf(
        Effect.all([...exists, manager.getAllData(sessions[0]!.token)], { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(one.commands, ["fcall"])
      // two: each read its own command (a whole hash is up to maxDataKeys entries)
      const two = yield* commandsOf(Effect.all(
        [...exists, manager.getAllData(sessions[0]!.token), manager.getAllData(sessions[1]!.token)],
        { concurrency: "unbounded" }
      ))
      assert.deepStrictEqual(two.commands, ["time", "hmget", "hmget", "hmget", "hmget", "hgetall", "hgetall", "time"])
      assert.deepStrictEqual(two.result.slice(4), [{ n: 0 }, { n: 1 }])
    }))

  it.scoped("a session that expires between the two TIMEs is left to its script, which reads it at one moment", () =>
    Effect.gen(function*() {
      const { advance, client, commandsOf, manager } = yield* managerOn(inject("redisUrl"), { ttl: 60 })
      /** Seconds to move the first TIME back and the second forward, in the replies the store sees. */
      const stretch = { from: 0, to: 0 }
      let second = false
      const send = client.sendCommand.bind(client) as (command: DriverCommand) => Promise<unknown>
      client.sendCommand = ((command: DriverCommand) => {
        if (command.name !== "time") return send(command)
        const seconds = second ? stretch.to : -stretch.from
        second = !second
        return send(command).then((reply) => {
          const [s, us] = reply as [string, string]
          return [String(Number(s) + seconds), us]
        })
      }) as typeof client.sendCommand
      const session = yield* manager.create("dan")
      yield* manager.setData(session.token, "lang", "en")
      /** exists, whether get (no update) found it, getData and getAllData: read, then the commands sent. */
      const readsThen = (live: boolean, commands: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const reads = yield* commandsOf(Effect.all([
            manager.exists(session.token),
            Effect.map(Effect.option(manager.get(session.token, { noUpdate: true })), Option.isSome),
            Effect.option(manager.getData(session.token, "lang")),
            Effect.option(manager.getAllData(session.token))
          ]))
          assert.deepStrictEqual(reads.result, [
            live,
            live,
            live ? Option.some(Option.some("en")) : Option.none(),
            live ? Option.some({ lang: "en" }) : Option.none()
          ])
          const wholeHash = commands.map((command) => command === "hmget" ? "hgetall" : command)
          assert.deepStrictEqual(reads.commands, [...commands, ...commands, ...commands, ...wholeHash])
        })
      // 50 s in, it expires 10 s later: live whatever the moment within 5 s either side
      yield* advance(50)
      stretch.from = 5
      stretch.to = 5
      yield* readsThen(true, plain)
      // 55 s in: live now, gone within 20 s; the script answers (one moment: now)
      yield* advance(5)
      stretch.to = 20
      yield* readsThen(true, thenScript)
      // 65 s in: gone now, live 20 s before
      yield* advance(10)
      stretch.from = 20
      stretch.to = 0
      yield* readsThen(false, thenScript)
    }))

  it.scoped("with a touch interval, a get reads by HMGET while no touch is due, and touches by script when one is", () =>
    Effect.gen(function*() {
      const { advance, client, commandsOf, manager, namespace } = yield* managerOn(inject("redisUrl"), {
        ttl: 600,
        touchInterval: 60
      })
      const session = yield* manager.create("erin")
      yield* advance(30)
      const fresh = yield* commandsOf(manager.get(session.token))
      assert.deepStrictEqual(fresh.commands, plain)
      assert.strictEqual(fresh.result.lastAccess, session.lastAccess)
      yield* advance(31)
      const due = yield* commandsOf(manager.get(session.token))
      assert.deepStrictEqual(due.commands, thenScript)
      assert.isAtLeast(due.result.lastAccess, session.lastAccess + 61 - 1e-6)
      assert.deepStrictEqual((yield* commandsOf(manager.get(session.token))).commands, plain)
      // expired: the script removes it, as a touching read does
      yield* advance(601)
      const gone = yield* commandsOf(Effect.flip(manager.get(session.token)))
      assert.strictEqual(gone.result._tag, "SessionNotFound")
      assert.deepStrictEqual(gone.commands, thenScript)
      assert.deepStrictEqual(yield* Effect.promise(() => namespaceKeys(client, namespace)), [])
    }))

  it.scoped("a read whose HMGET fails goes by its script, and fails alone with the script's error", () =>
    Effect.gen(function*() {
      const { client, commandsOf, manager, namespace } = yield* managerOn(inject("redisUrl"))
      const [a, b] = yield* Effect.all([manager.create("alice"), manager.create("bob")])
      const key = keyspace(namespace).session(b!.sessionId)
      yield* Effect.promise(() => client.del(key).then(() => client.set(key, "not a hash")))
      const { commands, result } = yield* commandsOf(
        Effect.all([a!, b!].map((session) => Effect.either(manager.exists(session.token))), {
          concurrency: "unbounded"
        })
      )
      assert.deepStrictEqual(commands, ["time", "hmget", "hmget", "time", "fcall"])
      assert.isTrue(Either.getOrThrow(result[0]!))
      const error = Option.getOrThrow(Either.getLeft(result[1]!))
      assert.strictEqual(error._tag, "RedisError")
      assert.include(error.message, "WRONGTYPE")
      yield* Effect.promise(() => client.del(key))
    }))

  it.scoped("in one call of the reads script, a read that fails goes by its script and fails alone", () =>
    Effect.gen(function*() {
      const { client, commandsOf, manager, namespace } = yield* managerOn(inject("redisUrl"), {}, {
        readBatches: "script"
      })
      const sessions = yield* Effect.all(Array.from({ length: 5 }, (_, i) => manager.create(`user${i}`)))
      const key = keyspace(namespace).session(sessions[2]!.sessionId)
      yield* Effect.promise(() => client.del(key).then(() => client.set(key, "not a hash")))
      const { commands, result, withArgs } = yield* commandsOf(
        Effect.all(sessions.map((session) => Effect.either(manager.get(session.token, { noUpdate: true }))), {
          concurrency: "unbounded"
        })
      )
      // the reads in one call, then the failed one alone by its script (the shard's three keys and its own)
      assert.deepStrictEqual(commands, ["fcall", "fcall"])
      assert.strictEqual(withArgs[1]![2], "4")
      for (const [i, read] of result.entries()) {
        if (i === 2) {
          const error = Option.getOrThrow(Either.getLeft(read))
          assert.strictEqual(error._tag, "RedisError")
          assert.include(error.message, "WRONGTYPE")
        } else {
          assert.strictEqual(Either.getOrThrow(read).userId, `user${i}`)
        }
      }
      yield* Effect.promise(() => client.del(key))
    }))

  it.scoped("the reads script reads every session at one moment, the server's: expired ones need no script", () =>
    Effect.gen(function*() {
      const { advance, commandsOf, manager } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, {
        readBatches: "script"
      })
      const short = yield* Effect.all(Array.from({ length: 3 }, (_, i) => manager.create(`short${i}`, { ttl: 10 })))
      const long = yield* Effect.all(Array.from({ length: 3 }, (_, i) => manager.create(`long${i}`)))
      yield* advance(11)
      const { commands, result } = yield* commandsOf(
        Effect.all([...short, ...long].map((session) => manager.exists(session.token)), { concurrency: "unbounded" })
      )
      assert.deepStrictEqual(result, [false, false, false, true, true, true])
      assert.deepStrictEqual(commands, ["fcall"])
    }))

  it.scoped("without the Functions library, the reads script goes by EVALSHA", () =>
    Effect.gen(function*() {
      const { commandsOf, manager } = yield* managerOn(inject("redisUrl"), {}, {
        functions: false,
        readBatches: "script"
      })
      const sessions = yield* Effect.all(Array.from({ length: 4 }, (_, i) => manager.create(`user${i}`)))
      const reads = Effect.all(sessions.map((session) => manager.exists(session.token)), { concurrency: "unbounded" })
      // the first time, the server may not have the script yet (then EVAL)
      assert.deepStrictEqual(yield* reads, [true, true, true, true])
      const { commands, result } = yield* commandsOf(reads)
      assert.deepStrictEqual(result, [true, true, true, true])
      assert.deepStrictEqual(commands, ["evalsha"])
    }))
})

describe("Redis store: lone calls go at once", () => {
  /** Starts `effect` now (it runs until it waits for Redis); its fiber, and the commands sent by then. */
  const started = <A, E>(effect: Effect.Effect<A, E>, sent: Array<string>) =>
    Effect.map(Effect.runtime<never>(), (runtime) => {
      const fiber = Runtime.runFork(runtime)(effect)
      return { fiber, sent: [...sent] }
    })

  it.scoped("after three turns of one call each, a turn's first call goes as it is made, the rest of its turn (identical or not) at its end; a turn of many calls puts the next back to waiting", () =>
    Effect.gen(function*() {
      const { manager, sent } = yield* managerOn(inject("redisUrl"), { ttl: 60 })
      const session = yield* manager.create("lone")
      const read = manager.exists(session.token)
      // reads: three turns of one read each
      for (let i = 0; i < 3; i++) yield* read
      sent.length = 0
      const [first, second] = yield* Effect.all([started(read, sent), started(read, sent)])
      assert.deepStrictEqual(first!.sent, ["time", "hmget", "time"])
      // identical, but made after the first read went: it may not take that read's reply
      assert.deepStrictEqual(second!.sent, ["time", "hmget", "time"])
      assert.deepStrictEqual(yield* Fiber.join(Fiber.zip(first!.fiber, second!.fiber)), [true, true])
      assert.deepStrictEqual(sent, ["time", "hmget", "time", "time", "hmget", "time"])
      // that turn made two reads: the next turn's read waits for its end
      sent.length = 0
      const waiting = yield* started(read, sent)
      assert.deepStrictEqual(waiting.sent, [])
      assert.isTrue(yield* Fiber.join(waiting.fiber))
      assert.deepStrictEqual(sent, ["time", "hmget", "time"])
      // script calls count turns of their own: gets that touch, after three lone ones
      const touch = manager.get(session.token)
      for (let i = 0; i < 3; i++) yield* touch
      sent.length = 0
      const [once, again] = yield* Effect.all([started(touch, sent), started(touch, sent)])
      assert.deepStrictEqual([once!.sent, again!.sent], [["fcall"], ["fcall"]])
      const [read1, read2] = yield* Fiber.join(Fiber.zip(once!.fiber, again!.fiber))
      assert.deepStrictEqual([read1.userId, read2.userId], ["lone", "lone"])
      assert.deepStrictEqual(sent, ["fcall", "fcall"])
    }))

  it.scoped("with loneCallsAtOnce: false, a lone call waits for its turn's end", () =>
    Effect.gen(function*() {
      const { manager, sent } = yield* managerOn(inject("redisUrl"), { ttl: 60 }, atTurnEnd)
      const session = yield* manager.create("waiting")
      for (let i = 0; i < 4; i++) yield* manager.exists(session.token)
      for (let i = 0; i < 4; i++) yield* manager.get(session.token)
      sent.length = 0
      const read = yield* started(manager.exists(session.token), sent)
      const touch = yield* started(manager.get(session.token), sent)
      assert.deepStrictEqual([read.sent, touch.sent], [[], []])
      assert.isTrue(yield* Fiber.join(read.fiber))
      assert.strictEqual((yield* Fiber.join(touch.fiber)).userId, "waiting")
      assert.deepStrictEqual(sent, ["time", "hmget", "time", "fcall"])
    }))
})

describe("Redis store: data writes racing kills", () => {
  it.scoped("data writes from another connection racing a kill leave no partial session behind", () =>
    Effect.gen(function*() {
      const url = inject("redisUrl")
      const a = yield* managerOn(url)
      const b = yield* managerOnOwnConnection(url, a.namespace)
      for (let round = 0; round < 100; round++) {
        const session = yield* a.manager.create(`writer${round % 3}`)
        const results = yield* Effect.all([
          Effect.either(b.setData(session.token, { cart: [round], note: "x" })),
          a.manager.kill(session.sessionId),
          Effect.either(b.setData(session.token, "late", true)),
          Effect.either(b.removeData(session.token, "note"))
        ], { concurrency: "unbounded" })
        for (const result of [results[0], results[2], results[3]]) {
          if (result._tag === "Left") assert.strictEqual(result.left._tag, "SessionNotFound")
        }
      }
      assert.deepStrictEqual(yield* Effect.promise(() => namespaceKeys(a.client, a.namespace)), [])
    }))
})

describe("Redis store: policies across connections", () => {
  it.scoped("capped creates, rotations and log-outs from two connections keep the keyspace exact", () =>
    Effect.gen(function*() {
      const url = inject("redisUrl")
      const a = yield* managerOn(url, { maxSessionsPerUser: 3 })
      const b = yield* managerOnOwnConnection(url, a.namespace, { maxSessionsPerUser: 3 })
      const created = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a.manager : b).create(`capped${i % 2}`)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(yield* a.manager.countForUser("capped0"), 3)
      assert.strictEqual(yield* b.countForUser("capped1"), 3)
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(a.client, a.namespace)), [])
      const live = [...(yield* a.manager.getUserSessions("capped0")), ...(yield* b.getUserSessions("capped1"))]
      const tokenOf = new Map(created.map((s) => [s.sessionId as string, s.token]))
      yield* Effect.all(
        [
          ...live.map((id, i) => Effect.either((i % 2 === 0 ? a.manager : b).rotate(tokenOf.get(id)!))),
          ...created.slice(0, 10).map((s) => Effect.either(b.get(s.token))),
          Effect.either(a.manager.killOtherSessions(live[0]!))
        ],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(a.client, a.namespace)), [])
      for (const id of live) assert.isFalse(yield* a.manager.exists(tokenOf.get(id)!))
    }))
})

describe("Redis store: revocation racing rotation", () => {
  const connections: ReadonlyArray<readonly [string, () => RedisLayer.ConnectOptions, number]> = [
    ["one server", () => ({ url: inject("redisUrl") }), 1],
    ...(inject("clusterPorts").length > 0
      ? [
        [
          "a 3-master Cluster",
          () => ({ cluster: { nodes: inject("clusterPorts").map((port) => ({ host: "127.0.0.1", port })) } }),
          16
        ] as const
      ]
      : [])
  ]
  for (const [where, options, shards] of connections) {
    it.scoped(`on ${where}: a kill by id from one connection racing a rotate from another, 1,000 times`, () =>
      Effect.gen(function*() {
        const namespace = uniqueNamespace("race")
        const open = Effect.flatMap(
          Layer.build(RedisLayer.layer(options())),
          (connection) => SessionManager.make({ namespace, wipeInterval: 0, shards }).pipe(Effect.provide(connection))
        )
        const a = yield* open
        const b = yield* open
        let rotatedFirst = 0
        let alive = 0
        for (let round = 0; round < 1000; round++) {
          const s = yield* a.create(`racer${round % 20}`)
          // which call leaves first alternates, and the other starts 0 to 3 scheduler turns later
          const delayed = <A, E>(effect: Effect.Effect<A, E>) =>
            Effect.zipRight(Effect.repeatN(Effect.yieldNow(), round % 4), effect)
          const kill = b.kill(s.sessionId)
          const rotate = Effect.either(a.rotate(s.token))
          const [, rotated] = yield* Effect.all(
            round % 2 === 0 ? [kill, delayed(rotate)] as const : [delayed(kill), rotate] as const,
            { concurrency: "unbounded" }
          )
          if (Either.isRight(rotated)) {
            rotatedFirst++
            if (yield* a.exists(rotated.right.token)) alive++
          }
          if (yield* a.exists(s.token)) alive++
        }
        assert.strictEqual(alive, 0)
        assert.strictEqual(yield* a.count(), 0)
        // both orders happened
        assert.isAbove(rotatedFirst, 0)
        assert.isBelow(rotatedFirst, 1000)
      }))
  }
})

describe("Redis layers", () => {
  it.live("start-up fails fast with a RedisError naming why when nothing listens", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(RedisLayer.layer({ url: "redis://user:secret@127.0.0.1:1" })))
      assert.strictEqual(error._tag, "RedisError")
      assert.include(error.message, "127.0.0.1:1")
      assert.include(error.message, "ECONNREFUSED") // the reason, not only "Connection is closed."
      assert.notInclude(error.message, "secret")
    }).pipe(Effect.scoped))

  it.live("start-up fails with a RedisError when the server never answers", () =>
    Effect.gen(function*() {
      const port = yield* silentPort
      const error = yield* Effect.flip(
        Layer.build(RedisLayer.layer({ url: `redis://127.0.0.1:${port}`, connectTimeout: Duration.millis(300) }))
      )
      assert.strictEqual(error._tag, "RedisError")
      assert.include(error.message, "did not answer")
    }).pipe(Effect.scoped))

  it.scoped("an ioredis keyPrefix is refused with a ValidationError, before anything connects or is written", () =>
    Effect.gen(function*() {
      // nothing listens on this port: connecting would fail with a RedisError, not a ValidationError
      const dead = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const server = createServer().listen(0, "127.0.0.1", () => {
            const address = server.address()
            server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
          })
        })
      )
      const node = { host: "127.0.0.1", port: dead }
      const refusals = [
        RedisLayer.layer({ url: `redis://127.0.0.1:${dead}`, redis: { keyPrefix: "app:" } }),
        RedisLayer.layer({ cluster: { nodes: [node], options: { keyPrefix: "app:" } } }),
        RedisLayer.layer({ cluster: { nodes: [node], options: { redisOptions: { keyPrefix: "app:" } } } })
      ]
      for (const layer of refusals) {
        const error = yield* Effect.flip(Layer.build(layer))
        assert.strictEqual(error._tag, "ValidationError", error.message)
        assert.include(error.message, "Invalid keyPrefix:")
      }
      // a caller's client: refused, and left as it was (not connected, nothing sent)
      const url = inject("redisUrl")
      const prefixed = new Redis(url, { keyPrefix: "app:", lazyConnect: true })
      const namespace = uniqueNamespace("prefixed")
      const refused = yield* Effect.flip(
        SessionManager.make({ namespace, wipeInterval: 0 }).pipe(Effect.provide(RedisLayer.layerFromClient(prefixed)))
      )
      assert.strictEqual(refused._tag, "ValidationError")
      assert.strictEqual(prefixed.status, "wait")
      const cluster = new Cluster([node], { keyPrefix: "app:", lazyConnect: true })
      const clusterRefused = yield* Effect.flip(Layer.build(RedisLayer.layerFromClient(cluster)))
      assert.strictEqual(clusterRefused._tag, "ValidationError")
      // the same client without a prefix works
      const plain = yield* rawClient(url)
      const sm = yield* SessionManager.make({ namespace, wipeInterval: 0 }).pipe(
        Effect.provide(RedisLayer.layerFromClient(plain))
      )
      const session = yield* sm.create("pat")
      assert.isTrue(yield* sm.exists(session.token))
      assert.deepStrictEqual(yield* Effect.promise(() => plain.keys("app:*")), [])
    }))

  it.live("a wrong option fails the layer with a ValidationError naming it, before anything connects", () =>
    Effect.gen(function*() {
      // a server that counts the connections made to it and never answers
      let connections = 0
      const server = createServer((socket) => {
        connections++
        socket.destroy()
      })
      const port = yield* Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
        })
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      const wrong: ReadonlyArray<readonly [string, RedisLayer.ConnectOptions]> = [
        ["batchSize", { batchSize: 0 }], // a bulk operation would call Redis for ever
        ["batchSize", { batchSize: -1 }],
        ["batchSize", { batchSize: 1.5 }],
        ["batchSize", { batchSize: Number.NaN }],
        ["pageSize", { pageSize: 0 }],
        ["timeout", { timeout: 0 }],
        ["timeout", { timeout: "soon" as Duration.DurationInput }],
        ["timeout", { timeout: -1 }],
        ["batchTime", { batchTime: "-1 millis" }],
        ["nativeTtlGrace", { nativeTtlGrace: Duration.infinity }],
        ["nativeTtlGrace", { nativeTtlGrace: "20000 days" }],
        ["connectTimeout", { connectTimeout: 0 }],
        ["readBatches", { readBatches: "fast" as "script" }]
      ]
      for (const [name, options] of wrong) {
        const error = yield* Effect.flip(
          Layer.build(RedisLayer.layer({ url: `redis://127.0.0.1:${port}`, connectTimeout: "1 second", ...options }))
        )
        assert.strictEqual(error._tag, "ValidationError", `${name}: ${error.message}`)
        assert.include(error.message, `Invalid ${name}:`)
        if (name === "connectTimeout") continue // a caller's client is connected already
        // the same options on a caller's client: refused before the client is used
        const untouched = new Proxy({}, {
          get: (_, property) => assert.fail(`the client was used (${String(property)})`)
        }) as Parameters<typeof RedisLayer.layerFromClient>[0]
        const fromClient = yield* Effect.flip(Layer.build(RedisLayer.layerFromClient(untouched, options)))
        assert.strictEqual(fromClient._tag, "ValidationError")
      }
      assert.strictEqual(connections, 0)
      // the edges that are allowed: a batch time of 0 (one removal per call), no timeout at all
      const client = yield* rawClient(inject("redisUrl"))
      const count = yield* Effect.flatMap(SessionManager.SessionManager, (m) => m.count()).pipe(
        Effect.provide(
          SessionManager.layer({ namespace: uniqueNamespace(), wipeInterval: 0 }).pipe(
            Layer.provide(
              RedisLayer.layerFromClient(client, { batchTime: 0, timeout: Duration.infinity, nativeTtlGrace: 0 })
            )
          )
        )
      )
      assert.strictEqual(count, 0)
    }).pipe(Effect.scoped))

  it.scoped("connect quits the client it made when the scope closes", () =>
    Effect.gen(function*() {
      const client = yield* Effect.scoped(RedisLayer.connect({ url: Redacted.make(inject("redisUrl")) }))
      assert.strictEqual(client.status, "end")
    }))

  it.scoped("layerFromClient leaves the caller's client open", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      yield* Effect.scoped(
        Effect.flatMap(SessionManager.SessionManager, (m) => m.count()).pipe(
          Effect.provide(
            SessionManager.layer({ namespace: uniqueNamespace() }).pipe(
              Layer.provide(RedisLayer.layerFromClient(client))
            )
          )
        )
      )
      assert.strictEqual(yield* Effect.promise(() => client.ping()), "PONG")
    }))

  it.scoped("layerConfig takes the password from Config, redacted; a wrong one fails naming why, not the password", () =>
    Effect.gen(function*() {
      const server = yield* privateRedisServer({ args: ["--requirepass", "s3cret-pw"] })
      const provider = (password: string) =>
        ConfigProvider.fromMap(new Map([["URL", server.url], ["PASSWORD", password], ["NS", uniqueNamespace()]]))
      const layer = SessionManager.layerConfig({
        namespace: Config.string("NS"),
        ttl: Config.duration("TTL").pipe(
          Config.withDefault(Duration.minutes(2))
        )
      }).pipe(
        Layer.provide(RedisLayer.layerConfig({ url: Config.redacted("URL"), password: Config.redacted("PASSWORD") }))
      )
      const ttl = yield* Effect.flatMap(SessionManager.SessionManager, (m) => Effect.succeed(m.ttl)).pipe(
        Effect.provide(layer),
        Effect.withConfigProvider(provider("s3cret-pw"))
      )
      assert.strictEqual(ttl, 120)
      const error = yield* Effect.flip(Layer.build(layer)).pipe(Effect.withConfigProvider(provider("wrong-pw")))
      assert.strictEqual(error._tag, "RedisError")
      assert.match(error.message, /WRONGPASS|invalid/i)
      assert.notInclude(error.message, "wrong-pw")
    }))

  it.effect("SessionManager.layerConfig reads every option from Config, schemas beside it", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromMap(
        new Map([["NS", "configured"], ["TTL", "90 seconds"], ["CAP", "2"], ["POLICY", "refuse"]])
      )
      const layer = SessionManager.layerConfig({
        namespace: Config.string("NS"),
        ttl: Config.duration("TTL"),
        maxSessionsPerUser: Config.integer("CAP"),
        sessionLimitPolicy: Config.literal("evict-oldest", "refuse")("POLICY"),
        wipeInterval: Config.succeed(0)
      }, { additionalFields: { team: Schema.String } }).pipe(Layer.provide(RedisLayer.layerMemory))
      const [ttl, refused, team] = yield* Effect.gen(function*() {
        const m = yield* SessionManager.SessionManager
        const first = yield* m.create("cleo", { fields: { team: "blue" } })
        yield* m.create("cleo", { fields: { team: "red" } })
        const refused = yield* Effect.flip(m.create("cleo", { fields: { team: "green" } }))
        return [m.ttl, refused._tag, (yield* m.get(first.token)).fields.team] as const
      }).pipe(Effect.provide(layer), Effect.withConfigProvider(provider))
      assert.deepStrictEqual([ttl, refused, team], [90, "SessionLimitReached", "blue"])
    }))

  it.scoped("layerConfig reads REDIS_URL and fails with a ConfigError without it", () =>
    Effect.gen(function*() {
      const withUrl = ConfigProvider.fromMap(new Map([["REDIS_URL", inject("redisUrl")]]))
      const count = yield* Effect.flatMap(SessionManager.SessionManager, (m) => m.count()).pipe(
        Effect.provide(
          SessionManager.layer({ namespace: uniqueNamespace() }).pipe(Layer.provide(RedisLayer.layerConfig()))
        ),
        Effect.withConfigProvider(withUrl)
      )
      assert.strictEqual(count, 0)
      const error = yield* Effect.flip(Layer.build(RedisLayer.layerConfig())).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      )
      assert.notStrictEqual(error._tag, "RedisError")
    }))
})
