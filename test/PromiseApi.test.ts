/**
 * The promise API, on every backend (the conformance suite's): calls made together answer as each
 * alone would, rejections are the typed errors themselves, and bad input changes nothing.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { DataTooLarge, SessionNotFound, ValidationError } from "../src/Errors.js"
import * as PromiseApi from "../src/PromiseApi.js"
import * as SessionManager from "../src/SessionManager.js"
import { advance, backends, makeManager, memoryWith, uniqueNamespace } from "./utils/backends.js"

/** A promise's outcome: its value, or the tag of the error it rejected with. */
const outcome = (settled: PromiseSettledResult<unknown>): unknown =>
  settled.status === "fulfilled"
    ? settled.value
    : { rejected: (settled.reason as { readonly _tag?: string })._tag ?? String(settled.reason) }

/** Runs the calls `make` starts together (in one stretch of code), and their outcomes. */
const together = (make: () => ReadonlyArray<Promise<unknown>>) =>
  Effect.promise(() => Promise.allSettled(make())).pipe(Effect.map((all) => all.map(outcome)))

const userIdOf = (session: { readonly userId: string }) => session.userId

describe.each(backends)("PromiseApi on %s", (_backendName, backend) => {
  layer(backend)((it) => {
    it.scoped("reads made together answer as each alone: live, killed, expired, invalid", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), ttl: 60 })
        const api = yield* PromiseApi.fromService(m)
        const [a, b, killed] = yield* Effect.all([m.create("alice"), m.create("bob"), m.create("carl")])
        const short = yield* m.create("dora", { ttl: 5 })
        yield* m.kill(killed!.sessionId)
        yield* m.setData(a!.token, { lang: "en", n: 3 })
        yield* advance(6)
        const tokens = [a!.token, b!.token, killed!.token, short.token, Redacted.value(a!.token)]
        const alone: Array<unknown> = []
        for (const token of tokens) alone.push(yield* Effect.either(m.exists(token)))
        const exists = yield* together(() => [...tokens.map(api.exists), api.exists("not a token")])
        assert.deepStrictEqual(exists, [true, true, false, false, true, { rejected: "ValidationError" }])
        assert.deepStrictEqual(alone.map((either) => (either as { right: unknown }).right), exists.slice(0, 5))

        const gets = yield* together(() => tokens.map((token) => api.get(token, { noUpdate: true }).then(userIdOf)))
        assert.deepStrictEqual(gets, [
          "alice",
          "bob",
          { rejected: "SessionNotFound" },
          { rejected: "SessionNotFound" },
          "alice"
        ])
        // without a touch: the last access stayed where the create put it
        assert.strictEqual((yield* m.inspect(a!.sessionId)).lastAccess, a!.lastAccess)

        const data = yield* together(() => [
          api.getData(a!.token, "lang"),
          api.getData(a!.token, ["n", "none", "lang"]),
          api.getData(a!.token, { lang: true, none: true }),
          api.getData(b!.token, "lang"),
          api.getData(killed!.token, "lang"),
          api.getData(a!.token, "")
        ])
        assert.deepStrictEqual(data, [
          Option.some("en"),
          [Option.some(3), Option.none(), Option.some("en")],
          { lang: Option.some("en"), none: Option.none() },
          Option.none(),
          { rejected: "SessionNotFound" },
          { rejected: "ValidationError" }
        ])
      }))

    it.scoped("writes made together each write or fail alone, and a refused one writes nothing", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), maxDataValueBytes: 64, maxDataBytes: 150 })
        const api = yield* PromiseApi.fromService(m)
        const [a, b, killed] = yield* Effect.all([m.create("alice"), m.create("bob"), m.create("carl")])
        yield* m.kill(killed!.sessionId)
        yield* m.setData(b!.token, "big", "y".repeat(60))
        yield* m.setData(b!.token, "big2", "y".repeat(60))
        const writes = yield* together(() => [
          api.setData(a!.token, "lang", "en"),
          api.setData(a!.token, { theme: "dark", n: 1 }),
          api.setData(killed!.token, "lang", "en"),
          api.setData(a!.token, "too big", "x".repeat(100)),
          api.setData(b!.token, "big3", "y".repeat(60)),
          api.setData(a!.token, "", 1),
          api.setData("not a token", "lang", "en")
        ])
        assert.deepStrictEqual(writes, [
          1,
          2,
          { rejected: "SessionNotFound" },
          { rejected: "DataTooLarge" },
          { rejected: "DataTooLarge" },
          { rejected: "ValidationError" },
          { rejected: "ValidationError" }
        ])
        assert.deepStrictEqual(yield* m.getAllData(a!.token), { lang: "en", theme: "dark", n: 1 })
        assert.deepStrictEqual(Object.keys(yield* m.getAllData(b!.token)).sort(), ["big", "big2"])
      }))

    it.scoped("data calls of the wrong shape made with others fail alone with a ValidationError", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace() })
        const api = yield* PromiseApi.fromService(m)
        const session = yield* m.create("alice")
        const outcomes = yield* together(() => [
          api.setData(session.token, "lang", "en"),
          api.setData(session.token, null as unknown as Record<string, string>),
          api.setData(session.token, ["x"] as unknown as Record<string, string>),
          api.getData(session.token, 42 as unknown as string),
          api.getData(session.token, "theme")
        ])
        assert.deepStrictEqual(outcomes, [
          1,
          { rejected: "ValidationError" },
          { rejected: "ValidationError" },
          { rejected: "ValidationError" },
          Option.none()
        ])
        assert.deepStrictEqual(yield* m.getAllData(session.token), { lang: "en" })
      }))

    it.scoped("a rejection is the typed error itself, not a wrapper", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), maxDataValueBytes: 8 })
        const api = yield* PromiseApi.fromService(m)
        const session = yield* m.create("alice")
        yield* m.kill(session.sessionId)
        const live = yield* m.create("bob")
        const [notFound, invalid, tooLarge, byCall] = yield* Effect.promise(() =>
          Promise.allSettled([
            api.get(session.token, { noUpdate: true }),
            api.exists("nope"),
            api.setData(live.token, "k", "x".repeat(20)),
            api.get(session.token)
          ])
        )
        const reason = (settled: PromiseSettledResult<unknown> | undefined) =>
          (settled as PromiseRejectedResult).reason as unknown
        assert.instanceOf(reason(notFound), SessionNotFound)
        assert.strictEqual((reason(notFound) as SessionNotFound).sessionId, session.sessionId)
        assert.instanceOf(reason(invalid), ValidationError)
        assert.instanceOf(reason(tooLarge), DataTooLarge)
        // a get with a touch runs on its own, and rejects the same way
        assert.instanceOf(reason(byCall), SessionNotFound)
      }))

    it.scoped("identical counts made together share one run; a count with bad input fails alone", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace() })
        const api = yield* PromiseApi.fromService(m)
        yield* Effect.all([m.create("alice"), m.create("alice"), m.create("bob")])
        // the manager's count, counted: identical calls made together reach it once
        let runs = 0
        const counted: typeof m = {
          ...m,
          count: (secs) => Effect.zipRight(Effect.sync(() => runs++), m.count(secs))
        }
        const sharedApi = yield* PromiseApi.fromService(counted)
        const counts = yield* together(() => [
          sharedApi.count(),
          sharedApi.count(),
          sharedApi.count(60),
          sharedApi.count(-1),
          sharedApi.count("60" as unknown as number),
          sharedApi.count(60),
          sharedApi.count(NaN),
          sharedApi.count(null as unknown as number)
        ])
        assert.deepStrictEqual(counts, [
          3,
          3,
          3,
          { rejected: "ValidationError" },
          { rejected: "ValidationError" },
          3,
          { rejected: "ValidationError" },
          { rejected: "ValidationError" }
        ])
        // count(), count(60), count(-1), count(NaN), and the string's and null's own: six runs for eight calls
        assert.strictEqual(runs, 6)
        const perUser = yield* together(() => [
          api.countForUser("alice"),
          api.countForUser("bob"),
          api.countForUser("alice", 60),
          api.countForUser("")
        ])
        assert.deepStrictEqual(perUser, [2, 1, 2, { rejected: "ValidationError" }])
        // later calls run again: a count made after a create sees it
        yield* m.create("carol")
        assert.strictEqual(yield* Effect.promise(() => sharedApi.count()), 4)
      }))

    it.scoped("more calls than one program takes are all answered, in their own order", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace() })
        const api = yield* PromiseApi.fromService(m)
        const sessions = yield* Effect.all(Array.from({ length: 40 }, (_, i) => m.create(`user${i % 7}`)))
        for (const session of sessions.slice(0, 40).filter((_, i) => i % 3 === 0)) yield* m.kill(session.sessionId)
        const n = PromiseApi.maxCalls * 3 + 5
        const exists = yield* together(() =>
          Array.from({ length: n }, (_, i) => api.exists(sessions[i % sessions.length]!.token))
        )
        assert.deepStrictEqual(exists, Array.from({ length: n }, (_, i) => (i % sessions.length) % 3 !== 0))
        const users = yield* together(() =>
          Array.from({ length: n }, (_, i) =>
            api.get(sessions[i % sessions.length]!.token, { noUpdate: true }).then(userIdOf))
        )
        assert.deepStrictEqual(
          users,
          Array.from({ length: n }, (_, i) =>
            (i % sessions.length) % 3 === 0 ? { rejected: "SessionNotFound" } : `user${(i % sessions.length) % 7}`)
        )
      }))

    it.scoped("every other operation runs as the manager's, typed data too", () =>
      Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), ttl: 60 })
        const api = yield* PromiseApi.fromService(m)
        assert.strictEqual(api.namespace, m.namespace)
        assert.strictEqual(api.ttl, 60)
        const created = yield* Effect.promise(() => api.create("alice"))
        const touched = yield* Effect.promise(() => api.get(created.token))
        assert.strictEqual(touched.sessionId, created.sessionId)
        yield* Effect.promise(() => api.create("alice"))
        assert.deepStrictEqual(
          yield* Effect.promise(() => api.getUserSessions("alice")),
          yield* m.getUserSessions("alice")
        )
        const prefs = { theme: Schema.Literal("dark", "light"), size: Schema.Number }
        yield* Effect.promise(() => api.run((sm) => sm.data(prefs).set(created.token, { theme: "dark" })))
        assert.deepStrictEqual(yield* m.data(prefs).get(created.token, "theme"), Option.some("dark"))
        // typed data as promises: validated on the way in, decoded on the way out
        const typed = api.data(prefs)
        assert.strictEqual(yield* Effect.promise(() => typed.set(created.token, { size: 3 })), 1)
        assert.deepStrictEqual(yield* Effect.promise(() => typed.get(created.token, "size")), Option.some(3))
        assert.deepStrictEqual(yield* Effect.promise(() => typed.getAll(created.token)), { theme: "dark", size: 3 })
        const refused = yield* Effect.promise(() =>
          typed.set(created.token, { theme: "blue" as "dark" }).then(() => undefined, (error: unknown) => error)
        )
        assert.strictEqual((refused as { readonly _tag?: string })._tag, "ValidationError")
        assert.strictEqual(yield* Effect.promise(() => typed.remove(created.token, ["size", "theme"])), 2)
        assert.deepStrictEqual(yield* Effect.promise(() => typed.getAll(created.token)), {})
        assert.strictEqual(yield* Effect.promise(() => api.killUser("alice")), 2)
        assert.strictEqual(yield* Effect.promise(() => api.count()), 0)
        assert.isTrue(typeof (yield* Effect.promise(() => api.now())) === "number")
      }))
  })
})

describe("PromiseApi over a store of one's own", () => {
  /** The in-memory store, but its `many.exists` answers one result too few. */
  const oneShort = memoryWith((store) => ({
    ...store,
    many: { ...store.many, exists: (ids) => Effect.map(store.many.exists(ids), (results) => results.slice(1)) }
  }))

  it.scoped("a store answering the wrong number of results rejects each call with a defect, none left waiting", () =>
    Effect.gen(function*() {
      const m = yield* SessionManager.make({ namespace: uniqueNamespace(), wipeInterval: 0 })
      const api = yield* PromiseApi.fromService(m)
      const [a, b] = yield* Effect.all([m.create("alice"), m.create("bob")])
      const settled = yield* Effect.promise(() => Promise.allSettled([api.exists(a!.token), api.exists(b!.token)]))
      for (const outcome of settled) {
        assert.strictEqual(outcome.status, "rejected")
        assert.include(String((outcome as PromiseRejectedResult).reason), "answered 1 results to 2 calls")
      }
    }).pipe(Effect.provide(oneShort)))
})
