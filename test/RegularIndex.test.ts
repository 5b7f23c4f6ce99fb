/**
 * The Redis layout's regular sessions: a session expiring exactly the namespace's regular ttl
 * after its last access is indexed in `r` only (no expiry entry); every other one in `a` and `x`.
 * These tests read the raw keyspace to show where sessions are, that they move when their expiry
 * stops following their last access, and that no layout mix-up ever wipes a live session.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { inject } from "vitest"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations } from "./utils/keyspace.js"
import { rawClient } from "./utils/redisClient.js"

/** One namespace and one movable clock, shared by the managers `manager` makes. */
const setup = Effect.gen(function*() {
  const raw = yield* rawClient(inject("redisUrl"))
  const offset = yield* Ref.make(0)
  const namespace = uniqueNamespace("regular")
  const context = yield* Layer.build(RedisLayer.layer({ url: inject("redisUrl"), clockOffset: Ref.get(offset) }))
  const manager = (options: Partial<SessionManager.Options> = {}) =>
    SessionManager.make({ namespace, wipeInterval: 0, ttl: 60, ...options }).pipe(Effect.provide(context))
  const advance = (seconds: number) => Ref.update(offset, (ms) => ms + seconds * 1000)
  /** Which of the session indexes hold a session id: r (regular), a (activity), x (expiries). */
  const placeOf = (sessionId: string) =>
    Effect.promise(async () => {
      const places: Array<string> = []
      for (const index of ["r", "a", "x"]) {
        if ((await raw.zscore(`{${namespace}}:${index}`, sessionId)) !== null) places.push(index)
      }
      return places.join("+")
    })
  const violations = Effect.promise(() => keyspaceViolations(raw, namespace))
  return { raw, namespace, manager, advance, placeOf, violations }
})

describe("regular sessions (Redis layout)", () => {
  it.scoped("a session on the namespace's ttl is in r only; another ttl or no ttl is in a (and x)", () =>
    Effect.gen(function*() {
      const { advance, manager, namespace, placeOf, raw, violations } = yield* setup
      const sessions = yield* manager()
      const regular = yield* sessions.create("ann")
      const longer = yield* sessions.create("ann", { ttl: 3600 })
      const forever = yield* sessions.create("ann", { ttl: 0 })
      assert.strictEqual(yield* placeOf(regular.sessionId), "r")
      assert.strictEqual(yield* placeOf(longer.sessionId), "a+x")
      assert.strictEqual(yield* placeOf(forever.sessionId), "a")
      assert.strictEqual(yield* Effect.promise(() => raw.hget(`{${namespace}}:meta`, "regularTtl")), "60000")
      // touched, they stay where they are; counted together, and listed together by last access
      for (const s of [longer, regular, forever]) {
        yield* advance(1)
        yield* sessions.get(s.token)
      }
      assert.strictEqual(yield* placeOf(regular.sessionId), "r")
      assert.strictEqual(yield* sessions.count(), 3)
      assert.strictEqual(yield* sessions.count(2), 2)
      assert.deepStrictEqual(yield* sessions.getAllSessions(), [longer.sessionId, regular.sessionId, forever.sessionId])
      assert.deepStrictEqual(yield* sessions.getAllSessions(2), [regular.sessionId, forever.sessionId])
      assert.deepStrictEqual(yield* violations, [])
    }))

  it.scoped("a session moves out of r when its lifetime deadline comes before its idle expiry, and expires on time", () =>
    Effect.gen(function*() {
      const { advance, manager, placeOf, violations } = yield* setup
      const sessions = yield* manager({ maxLifetime: 100 })
      const session = yield* sessions.create("bea")
      assert.strictEqual(yield* placeOf(session.sessionId), "r")
      yield* advance(30)
      yield* sessions.get(session.token) // expires at 90 s: still idle ttl after access
      assert.strictEqual(yield* placeOf(session.sessionId), "r")
      yield* advance(30)
      const read = yield* sessions.get(session.token) // at 60 s: 60 + 60 > 100, the deadline rules
      assert.strictEqual(read.expires - read.createdAt, 100)
      assert.strictEqual(yield* placeOf(session.sessionId), "a+x")
      assert.deepStrictEqual(yield* violations, [])
      yield* advance(39)
      assert.strictEqual(yield* sessions.wipe, 0)
      assert.isTrue(yield* sessions.exists(session.token))
      yield* advance(2)
      assert.strictEqual(yield* sessions.wipe, 1)
      assert.strictEqual(yield* placeOf(session.sessionId), "")
      assert.deepStrictEqual(yield* violations, [])
    }))

  it.scoped("managers with another ttl on the namespace index their sessions in a and x, and every wipe is exact", () =>
    Effect.gen(function*() {
      const { advance, manager, placeOf, violations } = yield* setup
      const first = yield* manager({ ttl: 60 }) // records 60 s as the regular ttl
      const second = yield* manager({ ttl: 120 })
      const short = yield* first.create("cid")
      const long = yield* second.create("cid")
      assert.strictEqual(yield* placeOf(short.sessionId), "r")
      assert.strictEqual(yield* placeOf(long.sessionId), "a+x")
      // a touch through the other manager keeps each where it belongs
      yield* second.get(short.token)
      yield* first.get(long.token)
      assert.strictEqual(yield* placeOf(short.sessionId), "r")
      assert.strictEqual(yield* placeOf(long.sessionId), "a+x")
      yield* advance(90)
      assert.strictEqual(yield* second.wipe, 1)
      assert.isFalse(yield* first.exists(short.token))
      assert.isTrue(yield* first.exists(long.token))
      assert.strictEqual(yield* first.count(), 1)
      yield* advance(40)
      assert.strictEqual(yield* first.wipe, 1)
      assert.strictEqual(yield* second.count(), 0)
      assert.deepStrictEqual(yield* violations, [])
    }))

  it.scoped("a live session found in r past the regular ttl (a re-recorded layout) is moved to a and x, not wiped", () =>
    Effect.gen(function*() {
      const { advance, manager, namespace, placeOf, raw, violations } = yield* setup
      const before = yield* manager({ ttl: 60 })
      const session = yield* before.create("dan")
      // the namespace's record says 30 s now (as if it had been lost and recorded again by another app)
      yield* Effect.promise(() => raw.hset(`{${namespace}}:meta`, "regularTtl", "30000"))
      const after = yield* manager({ ttl: 30 })
      yield* advance(40)
      assert.strictEqual(yield* after.wipe, 1) // one session handled: moved, not removed
      assert.strictEqual(yield* placeOf(session.sessionId), "a+x")
      assert.isTrue(yield* after.exists(session.token))
      assert.strictEqual((yield* after.get(session.token)).userId, "dan")
      assert.deepStrictEqual(yield* violations, [])
      yield* advance(61)
      yield* after.wipe
      assert.isFalse(yield* after.exists(session.token))
      assert.strictEqual(yield* placeOf(session.sessionId), "")
    }))
})
