/**
 * Bad input, as properties over both backends: every input gives a correct result or a typed
 * ValidationError, never a defect, and a refused input changes nothing.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Ids from "../src/internal/ids.js"
import { backends, makeManager, uniqueNamespace } from "./utils/backends.js"

const fields = { groupId: Schema.Number }

const userIds = FastCheck.oneof(
  FastCheck.string({ unit: "binary", maxLength: 40 }),
  FastCheck.string({ unit: "grapheme", minLength: 500, maxLength: 520 }),
  FastCheck.constantFrom("", " ", "{", "}", "{x}", "*", "?", "[a]", ":", "a:b:c", "\u0000", "\uD800", "😀")
)
const sessionIds = FastCheck.oneof(
  FastCheck.string({ unit: "binary", maxLength: 40 }),
  FastCheck.stringMatching(/^[A-Za-z0-9_-]{16}$/),
  FastCheck.stringMatching(/^[A-Za-z0-9_-]{32}$/),
  FastCheck.stringMatching(/^(?:[0-9]{1,5}\.)?[A-Za-z0-9_-]{15,33}[*:{}.]?$/)
)
const numbers = FastCheck.oneof(
  FastCheck.double(),
  FastCheck.integer(),
  FastCheck.constantFrom(-1, 0, 1e-4, 1e12, Number.MAX_VALUE, -0, NaN, Infinity, -Infinity)
)

/** The outcome, or a test failure when the effect died (a defect) instead of failing with a typed error. */
const settled = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isFailure(exit) && exit.cause._tag !== "Fail") assert.fail(`defect: ${String(exit.cause)}`)
    return exit
  })

describe.each(backends)("bad input on %s", (_name, backend) => {
  const manager = makeManager({ namespace: uniqueNamespace("bad"), additionalFields: fields, wipeInterval: 0 })
  layer(backend)((it) => {
    it.scoped.prop(
      "any user id: a session, or a ValidationError and nothing created",
      [userIds],
      ([userId]) =>
        Effect.gen(function*() {
          const sm = yield* manager
          const before = yield* sm.count()
          const exit = yield* settled(sm.create(userId, { fields: { groupId: 1 } }))
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value.userId, userId)
            assert.deepStrictEqual<unknown>(yield* sm.getUserSessions(userId), [exit.value.sessionId])
            assert.strictEqual(yield* sm.killUser(userId), 1)
          } else {
            assert.strictEqual(exit.cause._tag === "Fail" && exit.cause.error._tag, "ValidationError")
          }
          assert.strictEqual(yield* sm.count(), before)
        }),
      { fastCheck: { numRuns: 60 } }
    )

    it.scoped.prop(
      "any token or session id: not found when well-formed, else a ValidationError before any key is built",
      [sessionIds],
      ([input]) =>
        Effect.gen(function*() {
          const sm = yield* manager
          const mine = yield* sm.create("owner", { fields: { groupId: 1 } })
          const byToken = [sm.get(input), sm.setData(input, "k", 1), sm.rotate(input), sm.exists(input)]
          const byId = [sm.write(input, { groupId: 2 }), sm.kill(input), sm.inspect(input), sm.killOtherSessions(input)]
          for (
            const [effects, wellFormed] of [[byToken, Ids.isToken(input)], [byId, Ids.isSessionId(input)]] as const
          ) {
            for (const effect of effects as ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>>) {
              const exit = yield* settled(effect)
              const tag = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : "success"
              assert.oneOf(tag, wellFormed ? ["SessionNotFound", "success"] : ["ValidationError"], input)
            }
          }
          assert.isTrue(yield* sm.exists(mine.token))
          yield* sm.kill(mine.sessionId)
        }),
      { fastCheck: { numRuns: 60 } }
    )

    it.scoped.prop(
      "any ttl or window: applied exactly, or a ValidationError",
      [numbers],
      ([n]) =>
        Effect.gen(function*() {
          const sm = yield* manager
          const created = yield* settled(sm.create("ttl", { ttl: n, fields: { groupId: 1 } }))
          if (Exit.isSuccess(created)) {
            assert.isTrue(Number.isFinite(n) && n >= 0)
            assert.strictEqual(created.value.ttl, Math.round(n * 1000) / 1000)
            yield* sm.kill(created.value.sessionId)
          }
          const counted = yield* settled(sm.count(n))
          assert.strictEqual(Exit.isSuccess(counted), Number.isFinite(n) && n >= 0)
          assert.strictEqual(yield* sm.countForUser("ttl"), 0)
        }),
      { fastCheck: { numRuns: 60 } }
    )

    it.scoped.prop("any field or data value: stored as given, or a ValidationError and nothing written", [
      FastCheck.anything({ withDate: true, withTypedArray: true, withMap: true, withNullPrototype: true })
    ], ([value]) =>
      Effect.gen(function*() {
        const sm = yield* manager
        const s = yield* sm.create("values", { fields: { groupId: 1 } })
        const written = yield* settled(sm.write(s.sessionId, { groupId: value as number }))
        if (Exit.isSuccess(written)) assert.strictEqual(written.value.fields.groupId, value)
        else assert.strictEqual((yield* sm.get(s.token)).fields.groupId, 1)
        const stored = yield* settled(sm.setData(s.token, { v: value as never }))
        if (Exit.isFailure(stored)) assert.deepStrictEqual(yield* sm.getAllData(s.token), {})
        yield* sm.kill(s.sessionId)
      }), { fastCheck: { numRuns: 80 } })
  })
})
