/**
 * The conformance suite: one set of tests, run against the in-memory fake and a real Redis.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Session from "../src/Session.js"
import * as SessionManager from "../src/SessionManager.js"
import { advance, backends, makeManager, TestTime, uniqueNamespace } from "./utils/backends.js"

const manager = <F extends SessionManager.FieldSchemas = SessionManager.NoFields>(
  options: Partial<SessionManager.Options<F>> = {}
) => makeManager<F>({ namespace: uniqueNamespace(), ...options })

const sorted = (values: ReadonlyArray<string>) => [...values].sort()

describe.each(backends)("SessionManager on %s", (backendName, backend) => {
  layer(backend)((it) => {
    describe("create and get", () => {
      it.scoped("creates a session with the default ttl and reads it back", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 120 })
          const created = yield* m.create("alice")
          assert.match(created.sessionId, /^(?:\d+\.)?[A-Za-z0-9_-]{16}$/)
          assert.strictEqual(created.userId, "alice")
          assert.strictEqual(created.ttl, 120)
          assert.strictEqual(created.lastAccess, created.createdAt)
          assert.closeTo(created.expires - created.lastAccess, 120, 1e-6)
          const read = yield* m.get(created.token, { noUpdate: true })
          const { token: _token, ...session } = created
          assert.deepStrictEqual<unknown>({ ...read, readAt: 0 }, { ...session, readAt: 0 })
          assert.isTrue(yield* m.exists(created.token))
        }))

      it.scoped("a token authenticates and an id administers: neither works as the other", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const created = yield* m.create("alice")
          const token = Redacted.value(created.token)
          assert.match(token, /^(?:\d+\.)?[A-Za-z0-9_-]{32}$/)
          assert.strictEqual(created.sessionId, Session.idOf(created.token.pipe(Redacted.value)))
          assert.notInclude(token, created.sessionId)
          // the id never authenticates, the token is no id
          for (const op of [m.get(created.sessionId), m.exists(created.sessionId), m.touch(created.sessionId)]) {
            const error = yield* Effect.flip(op as Effect.Effect<unknown, { _tag: string; message: string }>)
            assert.strictEqual(error._tag, "ValidationError")
            assert.notInclude(error.message, created.sessionId)
          }
          for (const op of [m.kill(token), m.inspect(token), m.killOtherSessions(token)]) {
            const error = yield* Effect.flip(op as Effect.Effect<unknown, { _tag: string; message: string }>)
            assert.strictEqual(error._tag, "ValidationError")
          }
          // plain text and Redacted tokens both authenticate; inspect by id does not touch
          assert.strictEqual((yield* m.get(token)).sessionId, created.sessionId)
          assert.strictEqual((yield* m.get(created.token)).sessionId, created.sessionId)
          yield* advance(5)
          const inspected = yield* m.inspect(created.sessionId)
          assert.isBelow(inspected.lastAccess, inspected.readAt)
          yield* m.kill(created.sessionId)
          assert.isFalse(yield* m.exists(created.token))
        }))

      it.scoped("session ids are unique and 128-bit URL-safe", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const sessions = yield* Effect.all(Array.from({ length: 200 }, () => m.create("bob")), { concurrency: 20 })
          const ids = new Set(sessions.map((s) => s.sessionId))
          assert.strictEqual(ids.size, 200)
          for (const id of ids) assert.match(id, /^(?:\d+\.)?[A-Za-z0-9_-]{16}$/)
          assert.strictEqual(yield* m.countForUser("bob"), 200)
        }))

      it.scoped("one create effect run several times makes a new session each run", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const create = m.create("bruno")
          const first = yield* create
          const second = yield* create
          assert.notStrictEqual(first.sessionId, second.sessionId)
          assert.strictEqual(yield* m.countForUser("bruno"), 2)
        }))

      it.scoped("get updates the last access and slides the expiry; noUpdate does not", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 60 })
          const created = yield* m.create("carol")
          yield* advance(10)
          const peeked = yield* m.get(created.token, { noUpdate: true })
          assert.strictEqual(peeked.lastAccess, created.lastAccess)
          assert.closeTo(Session.idle(peeked), 10, 0.5)
          const touched = yield* m.get(created.token)
          assert.closeTo(touched.lastAccess - created.lastAccess, 10, 0.5)
          assert.closeTo(touched.expires - touched.lastAccess, 60, 1e-6)
          assert.strictEqual(touched.createdAt, created.createdAt)
          const again = yield* m.get(created.token, { noUpdate: true })
          assert.strictEqual(again.lastAccess, touched.lastAccess)
          // a read without update keeps the creation time apart from the last access
          assert.strictEqual(again.createdAt, created.createdAt)
          assert.isAbove(again.lastAccess, again.createdAt)
        }))

      it.scoped("a per-session ttl overrides the default, as seconds or a Duration", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 100 })
          const short = yield* m.create("dave", { ttl: 5 })
          const long = yield* m.create("dave", { ttl: Duration.minutes(10) })
          assert.strictEqual(short.ttl, 5)
          assert.strictEqual(long.ttl, 600)
          yield* advance(6)
          assert.isFalse(yield* m.exists(short.token))
          assert.isTrue(yield* m.exists(long.token))
        }))

      it.scoped("now() is the store's clock in seconds and moves with it", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const before = yield* m.now
          yield* advance(100)
          const after = yield* m.now
          assert.closeTo(after - before, 100, 0.5)
          const created = yield* m.create("erin")
          assert.closeTo(created.createdAt, after, 0.5)
        }))
    })

    describe("expiry", () => {
      it.scoped("an expired session is never returned, counted or listed, even before any wipe", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10, wipeInterval: 0 })
          const gone = yield* m.create("frank")
          const kept = yield* m.create("grace", { ttl: 1000 })
          yield* advance(11)
          const error = yield* Effect.flip(m.get(gone.token))
          assert.strictEqual(error._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.get(gone.token, { noUpdate: true })))._tag, "SessionNotFound")
          assert.isFalse(yield* m.exists(gone.token))
          assert.strictEqual(yield* m.count(), 1)
          assert.strictEqual(yield* m.countForUser("frank"), 0)
          assert.deepStrictEqual<unknown>(yield* m.getAllSessions(), [kept.sessionId])
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), ["grace"])
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("frank"), [])
          assert.isTrue(Option.isNone(yield* m.getOldestUserSession("frank")))
        }))

      it.scoped("a session touched before its ttl runs out stays alive past the ttl", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10 })
          const s = yield* m.create("heidi")
          for (let i = 0; i < 5; i++) {
            yield* advance(6)
            yield* m.get(s.token)
          }
          assert.isTrue(yield* m.exists(s.token))
          yield* advance(11)
          assert.isFalse(yield* m.exists(s.token))
        }))

      it.scoped("ttl 0 never expires", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 0, wipeInterval: 0 })
          const s = yield* m.create("ivan")
          assert.strictEqual(s.expires, 0)
          assert.strictEqual(Session.expiresIn(s), Infinity)
          yield* advance(10 * 365 * 24 * 3600)
          const read = yield* m.get(s.token)
          assert.strictEqual(read.expires, 0)
          assert.isTrue(Session.valid(read))
          assert.strictEqual(yield* m.wipe, 0)
          assert.strictEqual(yield* m.count(), 1)
        }))

      it.scoped("wipe removes expired sessions only and says how many", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10, wipeInterval: 0 })
          yield* Effect.all(Array.from({ length: 7 }, () => m.create("judy")))
          const kept = yield* m.create("judy", { ttl: 100 })
          yield* advance(11)
          assert.strictEqual(yield* m.wipe, 7)
          assert.strictEqual(yield* m.wipe, 0)
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("judy"), [kept.sessionId])
        }))

      it.scoped("a write to an expired session fails and recreates nothing", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10, wipeInterval: 0, additionalFields: { groupId: Schema.Number } })
          const s = yield* m.create("kim", { fields: { groupId: 1 } })
          yield* advance(11)
          const error = yield* Effect.flip(m.write(s.sessionId, { groupId: 2 }))
          assert.strictEqual(error._tag, "SessionNotFound")
          assert.strictEqual(yield* m.wipe, 1)
          assert.isFalse(yield* m.exists(s.token))
          assert.strictEqual(yield* m.count(), 0)
        }))
    })

    describe("counts and listings (the seed's scenario)", () => {
      // ten sessions for five users, created ten seconds apart: session i belongs to user i % 5 and
      // was last accessed at 10 * i; the queries run at 90
      const seed = Effect.gen(function*() {
        const m = yield* manager({ ttl: 3600 })
        const ids: Array<string> = []
        for (let i = 0; i < 10; i++) {
          if (i > 0) yield* advance(10)
          ids.push((yield* m.create(`user${i % 5}`)).sessionId)
        }
        return { m, ids }
      })

      it.scoped("count() and count(secs)", () =>
        Effect.gen(function*() {
          const { m } = yield* seed
          assert.strictEqual(yield* m.count(), 10)
          assert.strictEqual(yield* m.count(0), 10)
          assert.strictEqual(yield* m.count(45), 5)
          assert.strictEqual(yield* m.count(15), 2)
          assert.strictEqual(yield* m.count(1000), 10)
        }))

      it.scoped("countForUser", () =>
        Effect.gen(function*() {
          const { m } = yield* seed
          assert.strictEqual(yield* m.countForUser("user0"), 2)
          assert.strictEqual(yield* m.countForUser("user0", 45), 1)
          assert.strictEqual(yield* m.countForUser("user1", 35), 1)
          assert.strictEqual(yield* m.countForUser("user1", 25), 0)
          assert.strictEqual(yield* m.countForUser("nobody"), 0)
        }))

      it.scoped("getAllSessions, oldest access first", () =>
        Effect.gen(function*() {
          const { ids, m } = yield* seed
          assert.deepStrictEqual<unknown>(yield* m.getAllSessions(), ids)
          assert.deepStrictEqual<unknown>(yield* m.getAllSessions(25), ids.slice(7))
        }))

      it.scoped("getAllUsers, by latest access", () =>
        Effect.gen(function*() {
          const { m } = yield* seed
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), ["user0", "user1", "user2", "user3", "user4"])
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(55), ["user0", "user1", "user2", "user3", "user4"])
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(35), ["user1", "user2", "user3", "user4"])
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(5), ["user4"])
        }))

      it.scoped("getUserSessions", () =>
        Effect.gen(function*() {
          const { ids, m } = yield* seed
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("user3"), [ids[3], ids[8]])
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("user3", 15), [ids[8]])
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("nobody"), [])
        }))

      it.scoped("getOldestUserSession is the least recently accessed, and touching moves it", () =>
        Effect.gen(function*() {
          const { ids, m } = yield* seed
          const oldest = yield* m.getOldestUserSession("user2", { noUpdate: true })
          assert.strictEqual(Option.getOrThrow(oldest).sessionId, ids[2])
          const touched = yield* m.getOldestUserSession("user2")
          assert.strictEqual(Option.getOrThrow(touched).sessionId, ids[2])
          // it was touched: now the other session is the oldest
          const next = yield* m.getOldestUserSession("user2", { noUpdate: true })
          assert.strictEqual(Option.getOrThrow(next).sessionId, ids[7])
          assert.isTrue(Option.isNone(yield* m.getOldestUserSession("nobody")))
        }))
    })

    describe("kill", () => {
      it.scoped("kill removes one session from every index; the user leaves with the last one", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const a = yield* m.create("mallory")
          const b = yield* m.create("mallory")
          yield* m.create("niaj")
          yield* m.kill(a.sessionId)
          assert.isFalse(yield* m.exists(a.token))
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("mallory"), [b.sessionId])
          assert.deepStrictEqual<unknown>(sorted(yield* m.getAllUsers()), ["mallory", "niaj"])
          yield* m.kill(b.sessionId)
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), ["niaj"])
          assert.strictEqual(yield* m.count(), 1)
          // killing what is gone succeeds
          yield* m.kill(b.sessionId)
          yield* m.kill("AAAAAAAAAAAAAAAA")
        }))

      it.scoped("killUser removes all of a user's sessions and nobody else's", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          yield* Effect.all(Array.from({ length: 12 }, () => m.create("olivia")))
          const other = yield* m.create("peggy")
          assert.strictEqual(yield* m.killUser("olivia"), 12)
          assert.strictEqual(yield* m.countForUser("olivia"), 0)
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), ["peggy"])
          assert.deepStrictEqual<unknown>(yield* m.getAllSessions(), [other.sessionId])
          assert.strictEqual(yield* m.killUser("olivia"), 0)
        }))

      it.scoped("killAll empties the namespace and leaves other namespaces alone", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const neighbour = yield* manager()
          yield* Effect.all(Array.from({ length: 30 }, (_, i) => m.create(`u${i % 4}`)))
          const theirs = yield* neighbour.create("u0")
          assert.strictEqual(yield* m.killAll, 30)
          assert.strictEqual(yield* m.count(), 0)
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), [])
          assert.deepStrictEqual<unknown>(yield* neighbour.getAllSessions(), [theirs.sessionId])
        }))
    })

    describe("additional fields", () => {
      const fields = {
        groupId: Schema.Number,
        peerIp: Schema.optional(Schema.String),
        since: Schema.optional(Schema.Date)
      }

      it.scoped("are validated, stored and come back typed", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: fields })
          const since = new Date("2024-01-02T03:04:05.678Z")
          const s = yield* m.create("quentin", { fields: { groupId: 111, peerIp: "10.0.0.1", since } })
          const read = yield* m.get(s.token)
          assert.deepStrictEqual<unknown>(read.fields, { groupId: 111, peerIp: "10.0.0.1", since })
          assert.instanceOf(read.fields.since, Date)
          const written = yield* m.write(s.sessionId, { peerIp: "10.0.0.2" })
          assert.deepStrictEqual<unknown>(written.fields, { groupId: 111, peerIp: "10.0.0.2", since })
          assert.strictEqual(written.lastAccess, read.lastAccess)
        }))

      it.scoped("a value of the wrong type is refused before anything is written", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: fields })
          const bad = yield* Effect.flip(m.create("rupert", { fields: { groupId: "x" as unknown as number } }))
          assert.strictEqual(bad._tag, "ValidationError")
          assert.include(bad.message, "groupId")
          const missing = yield* Effect.flip(m.create("rupert", { fields: {} as { groupId: number } }))
          assert.strictEqual(missing._tag, "ValidationError")
          const nan = yield* Effect.flip(m.create("rupert", { fields: { groupId: NaN } }))
          assert.strictEqual(nan._tag, "ValidationError")
          assert.strictEqual(yield* m.count(), 0)
          const s = yield* m.create("rupert", { fields: { groupId: 1 } })
          const badWrite = yield* Effect.flip(m.write(s.sessionId, { groupId: "y" as unknown as number }))
          assert.strictEqual(badWrite._tag, "ValidationError")
          assert.strictEqual((yield* m.get(s.token)).fields.groupId, 1)
        }))

      it.scoped("stored values that no longer decode fail with a DecodeError naming the field", () =>
        Effect.gen(function*() {
          const namespace = uniqueNamespace()
          const before = yield* makeManager({ namespace, additionalFields: { groupId: Schema.String } })
          const after = yield* makeManager({ namespace, additionalFields: { groupId: Schema.Number } })
          const s = yield* before.create("sybil", { fields: { groupId: "admins" } })
          const error = yield* Effect.flip(after.get(s.token))
          assert.strictEqual(error._tag, "DecodeError")
          if (error._tag === "DecodeError") {
            assert.strictEqual(error.source, "field")
            assert.strictEqual(error.key, "groupId")
          }
        }))

      it.scoped("field names cannot collide with the session's own fields", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: { u: Schema.String, a: Schema.Number, x: Schema.Number } })
          const s = yield* m.create("trent", { fields: { u: "someone-else", a: 1, x: 2 } })
          const read = yield* m.get(s.token)
          assert.strictEqual(read.userId, "trent")
          assert.deepStrictEqual<unknown>(read.fields, { u: "someone-else", a: 1, x: 2 })
          assert.isAbove(read.expires, 2)
        }))
    })

    describe("validation", () => {
      it.scoped("malformed session ids are refused with a ValidationError", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          for (
            const id of [
              "",
              "short",
              "A".repeat(17),
              "AAAAAAAAAAAAAA*A",
              "AAAAAAAAAAAAAA:A",
              "{x}AAAAAAAAAAAAA"
            ]
          ) {
            for (
              const error of [
                yield* Effect.flip(m.get(id)),
                yield* Effect.flip(m.exists(id)),
                yield* Effect.flip(m.kill(id)),
                yield* Effect.flip(m.write(id, {}))
              ]
            ) {
              assert.strictEqual(error._tag, "ValidationError")
            }
          }
        }))

      it.scoped("bad user ids, ttls and windows are refused and change nothing", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          for (const userId of ["", "x".repeat(513), "a\uD800b"]) {
            assert.strictEqual((yield* Effect.flip(m.create(userId)))._tag, "ValidationError")
            assert.strictEqual((yield* Effect.flip(m.countForUser(userId)))._tag, "ValidationError")
            assert.strictEqual((yield* Effect.flip(m.killUser(userId)))._tag, "ValidationError")
          }
          for (const ttl of [-1, NaN, Infinity, 1e12, 0.0001]) {
            const error = yield* Effect.flip(m.create("victor", { ttl }))
            assert.strictEqual(error._tag, "ValidationError")
            assert.include(error.message, "ttl")
          }
          for (const secs of [-1, NaN, Infinity]) {
            assert.strictEqual((yield* Effect.flip(m.count(secs)))._tag, "ValidationError")
            assert.strictEqual((yield* Effect.flip(m.getAllSessions(secs)))._tag, "ValidationError")
          }
          assert.strictEqual(yield* m.count(), 0)
        }))

      it.scoped("bad options fail make with a ValidationError", () =>
        Effect.gen(function*() {
          for (const namespace of ["", "{app}", "a b", "x".repeat(65)]) {
            const error = yield* Effect.flip(makeManager({ namespace }))
            assert.strictEqual(error._tag, "ValidationError")
            assert.include(error.message, "namespace")
          }
          assert.strictEqual((yield* Effect.flip(manager({ ttl: -5 })))._tag, "ValidationError")
          assert.strictEqual((yield* Effect.flip(manager({ wipeInterval: -1 })))._tag, "ValidationError")
          for (const maxDataKeys of [0, 2.5, -1]) {
            const error = yield* Effect.flip(manager({ maxDataKeys }))
            assert.strictEqual(error._tag, "ValidationError")
            assert.include(error.message, "maxDataKeys")
          }
          const badField = yield* Effect.flip(manager({ additionalFields: { "f:x": Schema.String } }))
          assert.include(badField.message, "field name")
        }))

      it.scoped("user ids with separators, braces, globs, spaces and unicode are kept apart", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const userIds = ["a", "a:b", "a:s:x", "{a}", "a}", "*", "a b", "ünï-😀", "u:a", "s:" + "A".repeat(16)]
          const created = yield* Effect.forEach(userIds, (u) => m.create(u))
          assert.deepStrictEqual<unknown>(sorted(yield* m.getAllUsers()), sorted(userIds))
          for (const [i, userId] of userIds.entries()) {
            assert.deepStrictEqual<unknown>(yield* m.getUserSessions(userId), [created[i]!.sessionId])
          }
          assert.strictEqual(yield* m.killUser("*"), 1)
          assert.strictEqual(yield* m.count(), userIds.length - 1)
        }))

      it.scoped("a session of one namespace is not visible from another", () =>
        Effect.gen(function*() {
          const mine = yield* manager()
          const theirs = yield* manager()
          const s = yield* mine.create("walter")
          assert.strictEqual((yield* Effect.flip(theirs.get(s.token)))._tag, "SessionNotFound")
          yield* theirs.kill(s.sessionId)
          assert.isTrue(yield* mine.exists(s.token))
        }))
    })

    describe("shards", () => {
      it.scoped("a namespace keeps its shard count: a manager started with another one is refused", () =>
        Effect.gen(function*() {
          const namespace = uniqueNamespace()
          const first = yield* makeManager({ namespace, shards: 4 })
          yield* first.create("nia")
          const error = yield* Effect.flip(makeManager({ namespace, shards: 8 }))
          assert.strictEqual(error._tag, "ValidationError")
          assert.include(error.message, "4 shard")
          const again = yield* makeManager({ namespace, shards: 4 })
          assert.strictEqual(yield* again.count(), 1)
          assert.strictEqual((yield* Effect.flip(makeManager({ namespace, shards: 0 })))._tag, "ValidationError")
        }))

      it.scoped("sessions of a sharded namespace are found by id, counted, listed and killed", () =>
        Effect.gen(function*() {
          const m = yield* makeManager({ namespace: uniqueNamespace(), shards: 8 })
          const sessions = yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => `user${i}`), (u) => m.create(u))
          for (const s of sessions) assert.strictEqual((yield* m.get(s.token)).userId, s.userId)
          yield* Effect.all([m.create("user0"), m.create("user0")])
          assert.strictEqual(yield* m.count(), 42)
          assert.strictEqual((yield* m.getAllUsers()).length, 40)
          assert.strictEqual(yield* m.killAll, 42)
        }))
    })

    describe("Session values and operations", () => {
      it.scoped("derived values: expiresIn, idle, valid", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 30 })
          const s = yield* m.create("xavier")
          assert.closeTo(Session.expiresIn(s), 30, 1e-6)
          assert.strictEqual(Session.idle(s), 0)
          assert.isTrue(Session.valid(s))
          assert.closeTo(Session.expiresIn(s, s.readAt + 10), 20, 1e-6)
          assert.closeTo(Session.idle(s, s.readAt + 10), 10, 1e-6)
          assert.isFalse(Session.valid(s, s.readAt + 31))
          assert.strictEqual(Session.expiresIn(s, s.readAt + 31), 0)
        }))

      it.scoped("SessionManager.read, write and kill of a session, through the SessionManager tag", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: { groupId: Schema.Number } })
          const s = yield* m.create("yvonne", { fields: { groupId: 7 } })
          const provide = Effect.provideService(
            SessionManager.SessionManager,
            m as unknown as SessionManager.SessionManagerService
          )
          yield* advance(5)
          const read = yield* provide(SessionManager.read(s))
          assert.strictEqual(read.lastAccess, s.lastAccess)
          const written = yield* provide(SessionManager.write(s, { groupId: 8 }))
          assert.strictEqual(written.fields.groupId, 8)
          yield* provide(SessionManager.kill(s))
          assert.strictEqual((yield* Effect.flip(provide(SessionManager.read(s))))._tag, "SessionNotFound")
          assert.strictEqual(
            (yield* Effect.flip(provide(SessionManager.write(s, { groupId: 9 }))))._tag,
            "SessionNotFound"
          )
          assert.strictEqual(yield* m.count(), 0)
        }))
    })

    describe("guarantees", () => {
      // only a clock that stands still between calls can land on the boundary: the memory store's
      it.scoped.skipIf(backendName !== "memory")(
        "activity windows include a session accessed exactly the window ago, as Redis's ZCOUNT does",
        () =>
          Effect.gen(function*() {
            assert.isTrue((yield* TestTime).exact)
            const m = yield* manager({ ttl: 0 })
            const s = yield* m.create("wendy")
            yield* advance(60)
            assert.strictEqual(yield* m.count(60), 1)
            assert.strictEqual(yield* m.countForUser("wendy", 60), 1)
            assert.deepStrictEqual<ReadonlyArray<string>>(yield* m.getAllSessions(60), [s.sessionId])
            assert.deepStrictEqual<ReadonlyArray<string>>(yield* m.getAllUsers(60), ["wendy"])
            yield* advance(0.001)
            assert.strictEqual(yield* m.count(60), 0)
            assert.deepStrictEqual(yield* m.getAllSessions(60), [])
          })
      )

      it.scoped("expired means gone: a read without touching never returns an expired session", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10 })
          const s = yield* m.create("xena")
          yield* advance(11)
          assert.strictEqual((yield* Effect.flip(m.get(s.token, { noUpdate: true })))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.inspect(s.sessionId)))._tag, "SessionNotFound")
          assert.isFalse(yield* m.exists(s.token))
          assert.strictEqual(yield* m.count(), 0)
        }))

      it.scoped("nothing resurrected: a write or data write to a killed session fails and creates nothing", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: { level: Schema.Number } })
          const s = yield* m.create("yuri", { fields: { level: 1 } })
          yield* m.kill(s.sessionId)
          assert.strictEqual((yield* Effect.flip(m.write(s.sessionId, { level: 2 })))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.setData(s.token, "k", 1)))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.inspect(s.sessionId)))._tag, "SessionNotFound")
          assert.strictEqual(yield* m.countForUser("yuri"), 0)
          assert.deepStrictEqual(yield* m.getAllUsers(), [])
        }))

      it.scoped("a rotated session's old token and id are dead, even when it never expires", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 0 })
          const s = yield* m.create("zara", { ttl: 0 })
          const rotated = yield* m.rotate(s.token)
          assert.strictEqual((yield* Effect.flip(m.get(s.token)))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.get(s.token, { noUpdate: true })))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.inspect(s.sessionId)))._tag, "SessionNotFound")
          assert.isFalse(yield* m.exists(s.token))
          assert.deepStrictEqual<ReadonlyArray<string>>(yield* m.getUserSessions("zara"), [rotated.sessionId])
        }))

      it.scoped("the wipe removes every expired session, however many batches that takes", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 5 })
          yield* Effect.all(Array.from({ length: 450 }, (_, i) => m.create(`w${i % 7}`)), { concurrency: 16 })
          const kept = yield* m.create("keeper", { ttl: 0 })
          yield* advance(6)
          assert.strictEqual(yield* m.wipe, 450)
          assert.deepStrictEqual<ReadonlyArray<string>>(yield* m.getAllSessions(), [kept.sessionId])
        }))
    })

    describe("durations", () => {
      it.scoped("every duration option takes seconds, a Duration, or a string like \"2 minutes\"", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: "2 minutes", maxLifetime: Duration.hours(1), touchInterval: "5 seconds" })
          assert.strictEqual(m.ttl, 120)
          const s = yield* m.create("dur", { ttl: "90 seconds" })
          assert.strictEqual(s.ttl, 90)
          assert.closeTo(s.endsAt - s.createdAt, 3600, 1e-6)
          assert.strictEqual((yield* m.create("dur", { ttl: 30 })).ttl, 30)
          for (const ttl of ["soon", -1, Number.NaN, "-5 seconds"]) {
            assert.strictEqual((yield* Effect.flip(m.create("dur", { ttl: ttl as number })))._tag, "ValidationError")
          }
        }))
    })

    describe("touch interval", () => {
      it.scoped("get touches at most once per touchInterval; touch always does", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 60, touchInterval: 10 })
          const s = yield* m.create("tia")
          yield* advance(4)
          const within = yield* m.get(s.token)
          assert.strictEqual(within.lastAccess, s.lastAccess) // read, not written
          assert.strictEqual(within.expires, s.expires)
          yield* advance(7)
          const after = yield* m.get(s.token)
          // on Redis the server's clock runs on between the calls too (a due touch is two round
          // trips: the read, then the touch), so a little more than the time moved
          const isAbout = (seconds: number, expected: number) => {
            assert.isAtLeast(seconds, expected - 1e-6)
            assert.isBelow(seconds, expected + 0.5)
          }
          isAbout(after.lastAccess - s.lastAccess, 11)
          yield* advance(1)
          yield* m.touch(s.token)
          isAbout((yield* m.inspect(s.sessionId)).lastAccess - after.lastAccess, 1)
          assert.strictEqual((yield* Effect.flip(manager({ touchInterval: -1 })))._tag, "ValidationError")
        }))
    })

    describe("identity and revocation", () => {
      it.scoped("a kill of the old id after a rotation ends the session under its new token", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const s = yield* m.create("rita")
          const once = yield* m.rotate(s.token)
          const twice = yield* m.rotate(once.token)
          assert.notStrictEqual(twice.sessionId, s.sessionId)
          assert.isFalse(yield* m.exists(s.token))
          yield* m.kill(s.sessionId) // the id an admin page listed before both rotations
          assert.isFalse(yield* m.exists(twice.token))
          assert.strictEqual(yield* m.count(), 0)
          assert.deepStrictEqual(yield* m.getUserSessions("rita"), [])
        }))

      it.scoped("an old id reaches its rotated session for 10 minutes, then no more", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 0 })
          const s = yield* m.create("rosa")
          const rotated = yield* m.rotate(s.token)
          yield* advance(601)
          yield* m.wipe
          yield* m.kill(s.sessionId)
          assert.isTrue(yield* m.exists(rotated.token))
          const again = yield* m.rotate(rotated.token)
          yield* advance(599)
          yield* m.kill(rotated.sessionId)
          assert.isFalse(yield* m.exists(again.token))
        }))

      it.scoped("a kill racing a rotation never leaves the session alive, whichever runs first", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          for (let round = 0; round < 50; round++) {
            const s = yield* m.create("ravi")
            const kill = m.kill(s.sessionId)
            const rotate = Effect.either(m.rotate(s.token))
            const [, rotated] = yield* Effect.all(
              round % 2 === 0 ? [kill, rotate] as const : [Effect.zipRight(Effect.yieldNow(), kill), rotate] as const,
              { concurrency: "unbounded" }
            )
            if (Either.isRight(rotated)) assert.isFalse(yield* m.exists(rotated.right.token), `round ${round}`)
            assert.isFalse(yield* m.exists(s.token), `round ${round}`)
          }
          assert.strictEqual(yield* m.countForUser("ravi"), 0)
        }))

      it.scoped("getAllUsers places each user at their latest access, whatever order sessions are written in", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 0 })
          const a = yield* m.create("uma")
          const b = yield* m.create("uma")
          yield* advance(10)
          yield* m.touch(a.token) // uma's latest access
          yield* advance(-5) // a write carrying an earlier clock (another app instance's, a clock step)
          yield* m.touch(b.token)
          yield* advance(8) // 3 s after uma's latest access
          assert.deepStrictEqual<ReadonlyArray<string>>(yield* m.getAllUsers(4), ["uma"])
          assert.deepStrictEqual(yield* m.getAllUsers(2), [])
        }))

      it.scoped("an additional field over maxFieldBytes is refused with DataTooLarge, and nothing is written", () =>
        Effect.gen(function*() {
          const m = yield* manager({ maxFieldBytes: 16, additionalFields: { note: Schema.String } })
          const refused = yield* Effect.flip(m.create("fay", { fields: { note: "x".repeat(20) } }))
          assert.strictEqual(refused._tag, "DataTooLarge")
          if (refused._tag === "DataTooLarge") {
            assert.deepStrictEqual([refused.scope, refused.key, refused.size, refused.limit], ["field", "note", 22, 16])
          }
          assert.strictEqual(yield* m.countForUser("fay"), 0)
          const s = yield* m.create("fay", { fields: { note: "short" } })
          assert.strictEqual((yield* Effect.flip(m.write(s.sessionId, { note: "y".repeat(15) })))._tag, "DataTooLarge")
          assert.strictEqual((yield* m.inspect(s.sessionId)).fields.note, "short")
        }))
    })

    describe("policies", () => {
      it.scoped("an absolute lifetime ends a session that was touched every second", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10, maxLifetime: 30, wipeInterval: 0 })
          const s = yield* m.create("ada")
          assert.closeTo(s.endsAt - s.createdAt, 30, 1e-6)
          assert.closeTo(s.expires - s.createdAt, 10, 1e-6)
          for (let second = 1; second <= 29; second++) {
            yield* advance(1)
            const read = yield* m.get(s.token)
            assert.isAtMost(read.expires, read.endsAt)
          }
          const last = yield* m.get(s.token, { noUpdate: true })
          assert.closeTo(last.expires, last.endsAt, 1e-6) // the deadline now comes before the idle expiry
          yield* advance(2)
          assert.strictEqual((yield* Effect.flip(m.get(s.token)))._tag, "SessionNotFound")
          assert.strictEqual(yield* m.countForUser("ada"), 0)
        }))

      it.scoped("a session's own maxLifetime overrides the default, and ttl 0 sessions end at it too", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 0, maxLifetime: 100, wipeInterval: 0 })
          const short = yield* m.create("bea", { maxLifetime: 5 })
          const unlimited = yield* m.create("bea", { maxLifetime: 0 })
          assert.closeTo(short.expires - short.createdAt, 5, 1e-6)
          assert.strictEqual(unlimited.endsAt, 0)
          assert.strictEqual(unlimited.expires, 0)
          yield* advance(6)
          assert.isFalse(yield* m.exists(short.token))
          assert.isTrue(yield* m.exists(unlimited.token))
          assert.strictEqual((yield* Effect.flip(m.create("bea", { maxLifetime: -1 })))._tag, "ValidationError")
        }))

      it.scoped("maxSessionsPerUser evicts the least recently active sessions", () =>
        Effect.gen(function*() {
          const m = yield* manager({ maxSessionsPerUser: 3 })
          const a = yield* m.create("cid")
          yield* advance(1)
          const b = yield* m.create("cid")
          yield* advance(1)
          const c = yield* m.create("cid")
          yield* advance(1)
          yield* m.get(a.token) // a is now the most recently active
          yield* advance(1)
          const d = yield* m.create("cid")
          const other = yield* m.create("dee")
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("cid"), [c.sessionId, a.sessionId, d.sessionId])
          assert.isFalse(yield* m.exists(b.token))
          assert.strictEqual(yield* m.count(), 4)
          assert.deepStrictEqual<unknown>(
            sorted(yield* m.getAllSessions()),
            sorted([a, c, d, other].map((x) => x.sessionId))
          )
        }))

      it.scoped("maxSessionsPerUser with the refuse policy fails with SessionLimitReached and creates nothing", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 5, maxSessionsPerUser: 2, sessionLimitPolicy: "refuse", wipeInterval: 0 })
          const first = yield* m.create("eve")
          yield* m.create("eve")
          const error = yield* Effect.flip(m.create("eve"))
          assert.strictEqual(error._tag, "SessionLimitReached")
          if (error._tag === "SessionLimitReached") assert.strictEqual(error.limit, 2)
          assert.strictEqual(yield* m.countForUser("eve"), 2)
          yield* m.kill(first.sessionId)
          yield* m.create("eve")
          // expired sessions do not count against the limit
          yield* advance(6)
          yield* m.create("eve")
          yield* m.create("eve")
          assert.strictEqual(yield* m.countForUser("eve"), 2)
        }))

      it.scoped("50 concurrent creates for one user with a cap of 3 leave exactly 3 sessions", () =>
        Effect.gen(function*() {
          const evicting = yield* manager({ maxSessionsPerUser: 3 })
          yield* Effect.all(Array.from({ length: 50 }, () => evicting.create("fay")), { concurrency: "unbounded" })
          assert.strictEqual(yield* evicting.countForUser("fay"), 3)
          assert.strictEqual(yield* evicting.count(), 3)
          assert.strictEqual((yield* evicting.getAllSessions()).length, 3)
          assert.deepStrictEqual<unknown>(yield* evicting.getAllUsers(), ["fay"])

          const refusing = yield* manager({ maxSessionsPerUser: 3, sessionLimitPolicy: "refuse" })
          const results = yield* Effect.all(Array.from({ length: 50 }, () => Effect.either(refusing.create("fay"))), {
            concurrency: "unbounded"
          })
          assert.strictEqual(results.filter((r) => r._tag === "Right").length, 3)
          assert.isTrue(results.every((r) => r._tag === "Right" || r.left._tag === "SessionLimitReached"))
          assert.strictEqual(yield* refusing.countForUser("fay"), 3)
        }))

      it.scoped("rotate moves a session to a new id; the old id is dead", () =>
        Effect.gen(function*() {
          const m = yield* manager({ additionalFields: { role: Schema.String } })
          const s = yield* m.create("gus", { fields: { role: "user" } })
          yield* advance(5)
          const rotated = yield* m.rotate(s.token)
          assert.notStrictEqual(rotated.sessionId, s.sessionId)
          assert.match(rotated.sessionId, /^(?:\d+\.)?[A-Za-z0-9_-]{16}$/)
          assert.strictEqual(rotated.userId, "gus")
          assert.strictEqual(rotated.createdAt, s.createdAt)
          assert.deepStrictEqual(rotated.fields, { role: "user" })
          assert.closeTo(rotated.lastAccess - s.lastAccess, 5, 0.5)
          assert.strictEqual((yield* Effect.flip(m.get(s.token)))._tag, "SessionNotFound")
          assert.isFalse(yield* m.exists(s.token))
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("gus"), [rotated.sessionId])
          assert.deepStrictEqual<unknown>(yield* m.getAllSessions(), [rotated.sessionId])
          assert.strictEqual((yield* Effect.flip(m.rotate(s.token)))._tag, "SessionNotFound")
          yield* m.kill(rotated.sessionId)
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), [])
        }))

      it.scoped("a get of the old id that starts after rotate completed never finds the session", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          for (let round = 0; round < 20; round++) {
            const s = yield* m.create("hal")
            const rotated = yield* Ref.make(false)
            const reader = Effect.gen(function*() {
              let violations = 0
              for (let i = 0; i < 20; i++) {
                const startedAfterRotate = yield* Ref.get(rotated)
                const result = yield* Effect.either(m.get(s.token))
                if (startedAfterRotate && result._tag === "Right") violations++
              }
              return violations
            })
            const [violations] = yield* Effect.all([
              Effect.map(Effect.all([reader, reader, reader], { concurrency: "unbounded" }), (v) => v[0] + v[1] + v[2]),
              Effect.zipRight(m.rotate(s.token), Ref.set(rotated, true))
            ], { concurrency: "unbounded" })
            assert.strictEqual(violations, 0)
            assert.isFalse(yield* m.exists(s.token))
            assert.strictEqual(yield* m.countForUser("hal"), 1)
            yield* m.killUser("hal")
          }
        }))

      it.scoped("killOtherSessions logs out the user's other devices only", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const mine = yield* m.create("ike")
          yield* Effect.all(Array.from({ length: 4 }, () => m.create("ike")))
          const theirs = yield* m.create("jan")
          assert.strictEqual(yield* m.killOtherSessions(mine.sessionId), 4)
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("ike"), [mine.sessionId])
          assert.deepStrictEqual<unknown>(yield* m.getUserSessions("jan"), [theirs.sessionId])
          assert.strictEqual(yield* m.killOtherSessions(mine.sessionId), 0)
          yield* m.kill(mine.sessionId)
          assert.strictEqual((yield* Effect.flip(m.killOtherSessions(mine.sessionId)))._tag, "SessionNotFound")
        }))

      it.scoped("touch updates the last access without reading; unknown ids fail", () =>
        Effect.gen(function*() {
          const m = yield* manager({ ttl: 10, wipeInterval: 0 })
          const s = yield* m.create("kai")
          yield* advance(8)
          yield* m.touch(s.token)
          yield* advance(8)
          const read = yield* m.get(s.token, { noUpdate: true })
          assert.closeTo(read.lastAccess - s.lastAccess, 8, 0.5)
          yield* m.kill(s.sessionId)
          assert.strictEqual((yield* Effect.flip(m.touch(s.token)))._tag, "SessionNotFound")
        }))
    })

    describe("concurrency", () => {
      it.scoped("touches racing a kill never bring the session back", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          for (let round = 0; round < 30; round++) {
            const s = yield* m.create("zoe", { ttl: 100 })
            const touches = Effect.all(Array.from({ length: 5 }, () => Effect.either(m.get(s.token))), {
              concurrency: "unbounded"
            })
            const writes = Effect.all(Array.from({ length: 5 }, () => Effect.either(m.write(s.sessionId, {}))), {
              concurrency: "unbounded"
            })
            yield* Effect.all([touches, m.kill(s.sessionId), writes], { concurrency: "unbounded" })
            assert.isFalse(yield* m.exists(s.token))
          }
          assert.strictEqual(yield* m.count(), 0)
          assert.deepStrictEqual<unknown>(yield* m.getAllUsers(), [])
        }))

      it.scoped("concurrent creates for one user are all counted and indexed", () =>
        Effect.gen(function*() {
          const m = yield* manager()
          const sessions = yield* Effect.all(Array.from({ length: 50 }, () => m.create("amy")), {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual<unknown>(
            sorted(yield* m.getUserSessions("amy")),
            sorted(sessions.map((s) => s.sessionId))
          )
          assert.strictEqual(yield* m.count(), 50)
        }))
    })
  })
})
