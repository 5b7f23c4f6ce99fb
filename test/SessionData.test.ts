/**
 * Session data, free-form and typed: the conformance suite over the in-memory fake and Redis.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as PromiseApi from "../src/PromiseApi.js"
import type { DataValue } from "../src/SessionData.js"
import type * as SessionManager from "../src/SessionManager.js"
import type { DataReadError } from "../src/SessionManager.js"
import { RedisClient } from "../src/SessionStore.js"
import { advance, backends, makeManager, TestTime, uniqueNamespace } from "./utils/backends.js"

const manager = <F extends SessionManager.FieldSchemas = SessionManager.NoFields>(
  options: Partial<SessionManager.Options<F>> = {}
) => makeManager<F>({ namespace: uniqueNamespace("data"), wipeInterval: 0, ...options })

const leaf: FastCheck.Arbitrary<DataValue> = FastCheck.oneof(
  FastCheck.string({ unit: "binary" }),
  FastCheck.double(),
  FastCheck.integer(),
  FastCheck.boolean(),
  FastCheck.constant(null),
  FastCheck.date({ noInvalidDate: true }),
  FastCheck.uint8Array({ maxLength: 16 })
)
const key = FastCheck.oneof(FastCheck.string(), FastCheck.constant("$t"), FastCheck.constant("__proto__"))
const { value: dataValue } = FastCheck.letrec<{
  value: DataValue
  array: ReadonlyArray<DataValue>
  object: Record<string, DataValue>
}>((tie) => ({
  value: FastCheck.oneof({ maxDepth: 3 }, leaf, tie("array"), tie("object")),
  array: FastCheck.array(tie("value"), { maxLength: 4 }),
  object: FastCheck.dictionary(key, tie("value"), { maxKeys: 4 })
}))

const everyType: Record<string, DataValue> = {
  text: "héllo wörld 😀",
  empty: "",
  loneSurrogate: "a\uD800b",
  negative: -42.5,
  fraction: 0.1 + 0.2,
  zero: 0,
  negativeZero: -0,
  big: 1e300,
  nan: NaN,
  infinity: Infinity,
  minusInfinity: -Infinity,
  yes: true,
  no: false,
  nothing: null,
  date: new Date("2024-02-29T12:34:56.789Z"),
  ancient: new Date(-1e12),
  bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
  list: [1, "two", null, [3], { four: 4 }],
  nested: { when: new Date(0), raw: new Uint8Array([9]), deep: { deeper: [NaN, -0, "x"] } },
  tagLike: { $t: "d", v: 5 },
  protoKey: JSON.parse("{\"__proto__\": {\"polluted\": true}}") as Record<string, DataValue>
}

describe.each(backends)("session data on %s", (_name, backend) => {
  layer(backend)((it) => {
    it.scoped("every value type round-trips with its type", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("alice")
        assert.strictEqual(yield* m.setData(s.token, everyType), Object.keys(everyType).length)
        for (const [key, value] of Object.entries(everyType)) {
          assert.deepStrictEqual(yield* m.getData(s.token, key), Option.some(value), key)
        }
        const all = yield* m.getAllData(s.token)
        assert.deepStrictEqual(all, everyType)
        assert.isTrue(Object.is((yield* m.getData(s.token, "negativeZero")).pipe(Option.getOrThrow), -0))
        assert.instanceOf(Option.getOrThrow(yield* m.getData(s.token, "date")), Date)
        assert.isUndefined(({} as Record<string, unknown>).polluted)
      }))

    it.scoped("a Buffer comes back as the same bytes", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("bob")
        yield* m.setData(s.token, "buffer", Buffer.from("bytes"))
        assert.deepStrictEqual(
          yield* m.getData(s.token, "buffer"),
          Option.some(new Uint8Array(Buffer.from("bytes")))
        )
      }))

    it.scoped("get one key, a list of keys or a record of keys; unset keys are None", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("carol")
        assert.strictEqual(yield* m.setData(s.token, "a", 1), 1)
        assert.strictEqual(yield* m.setData(s.token, { b: "two", c: [3] }), 2)
        assert.deepStrictEqual(yield* m.getData(s.token, "missing"), Option.none())
        assert.deepStrictEqual(yield* m.getData(s.token, ["c", "missing", "a"]), [
          Option.some([3]),
          Option.none(),
          Option.some(1)
        ])
        assert.deepStrictEqual(yield* m.getData(s.token, { a: true, b: true, zzz: true }), {
          a: Option.some(1),
          b: Option.some("two"),
          zzz: Option.none()
        })
        assert.deepStrictEqual(yield* m.getData(s.token, []), [])
      }))

    it.scoped("a write or read is described, not done, until it runs: values and keys are read each time it runs", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("erin")
        const values: Record<string, string> = { theme: "dark" }
        const write = m.setData(s.token, values)
        const keys = ["theme"]
        const read = m.getData(s.token, keys)
        values.theme = "light"
        values.lang = "en"
        assert.strictEqual(yield* write, 2)
        keys.push("lang")
        assert.deepStrictEqual(yield* read, [Option.some("light"), Option.some("en")])
        values.theme = "blue"
        assert.strictEqual(yield* write, 2) // the same effect again writes what the values are now
        assert.deepStrictEqual(yield* m.getData(s.token, "theme"), Option.some("blue"))

        const record: Record<string, true> = { theme: true }
        const readRecord = m.getData(s.token, record)
        record.lang = true
        assert.deepStrictEqual(yield* readRecord, { theme: Option.some("blue"), lang: Option.some("en") })

        const typed = m.data({ theme: Schema.String })
        const typedValues = { theme: "sepia" }
        const typedWrite = typed.set(s.token, typedValues)
        typedValues.theme = "mauve"
        yield* typedWrite
        assert.deepStrictEqual(yield* typed.get(s.token, "theme"), Option.some("mauve"))
      }))

    it.scoped("remove keys and read everything; writes replace", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("dave")
        yield* m.setData(s.token, { a: 1, b: 2, c: 3 })
        yield* m.setData(s.token, "a", "replaced")
        assert.strictEqual(yield* m.removeData(s.token, ["b", "nope"]), 1)
        assert.strictEqual(yield* m.removeData(s.token, "c"), 1)
        assert.deepStrictEqual(yield* m.getAllData(s.token), { a: "replaced" })
      }))

    it.scoped("data keys never collide with the session's own or additional fields", () =>
      Effect.gen(function*() {
        const m = yield* manager({ additionalFields: { groupId: Schema.Number } })
        const s = yield* m.create("erin", { fields: { groupId: 7 } })
        yield* m.setData(s.token, { u: "mallory", x: 1, a: 2, "f:groupId": "hacked", groupId: 8, D: 0, "d:x": 1 })
        const read = yield* m.get(s.token)
        assert.strictEqual(read.userId, "erin")
        assert.strictEqual(read.fields.groupId, 7)
        assert.isAbove(read.expires, 1)
        assert.deepStrictEqual(Option.getOrThrow(yield* m.getData(s.token, "u")), "mallory")
        assert.strictEqual(Object.keys(yield* m.getAllData(s.token)).length, 7)
      }))

    it.scoped("values that cannot be stored are refused and nothing is written", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("frank")
        class Point {
          constructor(readonly x: number) {}
        }
        for (
          const bad of [
            undefined,
            () => 1,
            new Map(),
            new Point(1),
            new Date(NaN),
            10n,
            Symbol("s"),
            { nested: [undefined] }
          ]
        ) {
          const error = yield* Effect.flip(
            m.setData(s.token, { ok: 1, bad } as unknown as Record<string, DataValue>)
          )
          assert.strictEqual(error._tag, "ValidationError")
          assert.include(error.message, "bad")
        }
        for (const badKey of ["", "k".repeat(257), "\uDC00"]) {
          assert.strictEqual((yield* Effect.flip(m.setData(s.token, badKey, 1)))._tag, "ValidationError")
          assert.strictEqual((yield* Effect.flip(m.getData(s.token, badKey)))._tag, "ValidationError")
        }
        // keys in none of getData's forms (from untyped code)
        for (const badKeys of [null, undefined, 42, true]) {
          const error = yield* Effect.flip(m.getData(s.token, badKeys as unknown as string))
          assert.strictEqual(error._tag, "ValidationError", String(badKeys))
        }
        assert.strictEqual((yield* Effect.flip(m.setData("not-an-id", "k", 1)))._tag, "ValidationError")
        assert.deepStrictEqual(yield* m.getAllData(s.token), {})
      }))

    it.scoped("writing data to a killed or expired session fails and creates nothing", () =>
      Effect.gen(function*() {
        const m = yield* manager({ ttl: 10 })
        const killed = yield* m.create("gina")
        yield* m.kill(killed.sessionId)
        const expired = yield* m.create("gina")
        yield* advance(11)
        for (const id of [killed.token, expired.token]) {
          assert.strictEqual((yield* Effect.flip(m.setData(id, "k", 1)))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.getData(id, "k")))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.getAllData(id)))._tag, "SessionNotFound")
          assert.strictEqual((yield* Effect.flip(m.removeData(id, "k")))._tag, "SessionNotFound")
        }
        assert.strictEqual(yield* m.wipe, 1)
        assert.isFalse(yield* m.exists(killed.token))
        assert.isFalse(yield* m.exists(expired.token))
        assert.strictEqual(yield* m.count(), 0)
      }))

    it.scoped("data follows a rotated session and is not part of get", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("hank")
        yield* m.setData(s.token, { cart: ["apple"] })
        const rotated = yield* m.rotate(s.token)
        assert.deepStrictEqual(yield* m.getAllData(rotated.token), { cart: ["apple"] })
        assert.deepStrictEqual(rotated.fields, {})
      }))

    it.scoped("size limits: one value and one session's data", () =>
      Effect.gen(function*() {
        const m = yield* manager({ maxDataValueBytes: 100, maxDataBytes: 250 })
        const s = yield* m.create("ivy")
        const tooBig = yield* Effect.flip(m.setData(s.token, "big", "x".repeat(100)))
        assert.strictEqual(tooBig._tag, "DataTooLarge")
        if (tooBig._tag === "DataTooLarge") {
          assert.strictEqual(tooBig.scope, "value")
          assert.strictEqual(tooBig.key, "big")
          assert.strictEqual(tooBig.size, 101) // the type letter counts
        }
        // multi-byte characters count as their UTF-8 bytes
        assert.strictEqual((yield* Effect.flip(m.setData(s.token, "emoji", "😀".repeat(25))))._tag, "DataTooLarge")
        yield* m.setData(s.token, { a: "x".repeat(98), b: "x".repeat(98) }) // 2 * (1 + 99) = 200 bytes
        yield* m.setData(s.token, "a", "x".repeat(98)) // replacing does not grow it
        // the size it would have had: 200 + 1 + 61
        const full = yield* Effect.flip(m.setData(s.token, "c", "x".repeat(60)))
        assert.deepInclude(full, { _tag: "DataTooLarge", scope: "session", size: 262, limit: 250 })
        // the same over several entries at once, one of them replacing a value: 200 - 100 + 92 + 62
        const fullTwo = yield* Effect.flip(m.setData(s.token, { a: "x".repeat(90), c: "x".repeat(60) }))
        assert.deepInclude(fullTwo, { _tag: "DataTooLarge", scope: "session", size: 254, limit: 250 })
        assert.deepStrictEqual(yield* m.getData(s.token, "c"), Option.none())
        yield* m.removeData(s.token, "b")
        yield* m.setData(s.token, "c", "x".repeat(60))
        assert.deepStrictEqual(Object.keys(yield* m.getAllData(s.token)).sort(), ["a", "c"])
      }))

    it.scoped("a key limit: a write past it is refused whole, replacing and removing keep the count", () =>
      Effect.gen(function*() {
        const m = yield* manager({ maxDataKeys: 3 })
        const s = yield* m.create("kim")
        const other = yield* m.create("kim")
        yield* m.setData(s.token, { a: 1, b: 2 })
        const four = yield* Effect.flip(m.setData(s.token, { c: 3, d: 4 }))
        assert.deepInclude(four, { _tag: "DataTooLarge", scope: "keys", size: 4, limit: 3, sessionId: s.sessionId })
        assert.deepStrictEqual(yield* m.getAllData(s.token), { a: 1, b: 2 }) // nothing of it written
        yield* m.setData(s.token, "c", 3)
        yield* m.setData(s.token, { a: 10, b: "twenty" }) // replacing, at the limit: no key more
        yield* m.setData(s.token, "c", 30) // the one-key write too
        const one = yield* Effect.flip(m.setData(s.token, "d", 4))
        assert.deepInclude(one, { _tag: "DataTooLarge", scope: "keys", size: 4, limit: 3 })
        assert.include(one.message, "4 data keys, over the limit of 3")
        // removing makes room, keys that were never set count nothing
        assert.strictEqual(yield* m.removeData(s.token, ["a", "never"]), 1)
        yield* m.setData(s.token, "d", 4)
        assert.deepStrictEqual(yield* m.getAllData(s.token), { b: "twenty", c: 30, d: 4 })
        // the promise API's writes made together, each against its own session's count
        const api = yield* PromiseApi.fromService(m)
        const results = yield* Effect.promise(() =>
          Promise.allSettled([api.setData(s.token, "e", 5), api.setData(other.token, { x: 1, y: 2, z: 3 })])
        )
        assert.strictEqual(results[0].status, "rejected")
        assert.deepInclude((results[0] as PromiseRejectedResult).reason, { _tag: "DataTooLarge", scope: "keys" })
        assert.deepStrictEqual(results[1], { status: "fulfilled", value: 3 })
      }))

    it.scoped("the default limits are finite", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("jack")
        const error = yield* Effect.flip(m.setData(s.token, "huge", "x".repeat(300 * 1024)))
        assert.strictEqual(error._tag, "DataTooLarge")
        // 1,000 keys at most
        yield* m.setData(s.token, Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])))
        assert.deepInclude(yield* Effect.flip(m.setData(s.token, "one-more", 0)), { scope: "keys", limit: 1000 })
      }))

    it.scoped("typed data: good values round-trip, bad ones are refused before anything is written", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("kate")
        const prefs = m.data({
          theme: Schema.Literal("dark", "light"),
          visits: Schema.Int,
          since: Schema.Date,
          cart: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Number }))
        })
        const since = new Date("2025-01-01T00:00:00.000Z")
        assert.strictEqual(yield* prefs.set(s.token, { theme: "dark", visits: 3, since }), 3)
        assert.deepStrictEqual(yield* prefs.get(s.token, "theme"), Option.some("dark" as const))
        assert.deepStrictEqual(yield* prefs.get(s.token, "since"), Option.some(since))
        assert.deepStrictEqual(yield* prefs.get(s.token, "cart"), Option.none())
        const bad = yield* Effect.flip(prefs.set(s.token, { theme: "blue" as "dark", visits: 4 }))
        assert.strictEqual(bad._tag, "ValidationError")
        assert.include(bad.message, "theme")
        assert.deepStrictEqual(yield* prefs.get(s.token, "visits"), Option.some(3))
        const undeclared = yield* Effect.flip(prefs.set(s.token, { other: 1 } as unknown as { visits: number }))
        assert.strictEqual(undeclared._tag, "ValidationError")
        assert.deepStrictEqual(yield* prefs.getAll(s.token), { theme: "dark", visits: 3, since })
        assert.strictEqual(yield* prefs.remove(s.token, ["visits"]), 1)
        assert.deepStrictEqual(yield* prefs.getAll(s.token), { theme: "dark", since })
      }))

    it.scoped("a stored value that does not decode fails every form of getData with a DecodeError naming the key", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("mia")
        yield* m.setData(s.token, { fine: 1 })
        // written past the encoding, as another version or a hand edit might leave it
        const { shards } = yield* TestTime
        const store = yield* Effect.flatMap(
          RedisClient,
          (client) => client.open({ namespace: m.namespace, shards, defaultTtl: m.ttl * 1000, fieldNames: [] })
        )
        assert.isTrue(
          Option.isSome(
            yield* store.dataSet(s.sessionId, [["broken", "?not an encoding"]], { maxBytes: 0, maxKeys: 0 })
          )
        )
        const forms: ReadonlyArray<(token: typeof s.token) => Effect.Effect<unknown, DataReadError>> = [
          (token) => m.getData(token, "broken"),
          (token) => m.getData(token, ["fine", "broken"]),
          (token) => m.getData(token, { fine: 0, broken: 0 })
        ]
        for (const form of forms) {
          const error = yield* Effect.flip(form(s.token))
          assert.strictEqual(error._tag, "DecodeError")
          if (error._tag === "DecodeError") {
            assert.strictEqual(error.key, "broken")
            assert.include(error.message, "unknown type letter")
          }
        }
        assert.deepStrictEqual(yield* m.getData(s.token, "fine"), Option.some(1))
      }))

    it.scoped("typed data that no longer decodes fails with a DecodeError naming the key", () =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("liam")
        yield* m.data({ theme: Schema.String }).set(s.token, { theme: "sepia" })
        const after = m.data({ theme: Schema.Literal("dark", "light") })
        const error = yield* Effect.flip(after.get(s.token, "theme"))
        assert.strictEqual(error._tag, "DecodeError")
        if (error._tag === "DecodeError") {
          assert.strictEqual(error.source, "data")
          assert.strictEqual(error.key, "theme")
        }
        assert.strictEqual((yield* Effect.flip(after.getAll(s.token)))._tag, "DecodeError")
      }))

    it.scoped.prop("any data value round-trips", [dataValue], ([value]) =>
      Effect.gen(function*() {
        const m = yield* manager()
        const s = yield* m.create("prop")
        yield* m.setData(s.token, "v", value)
        assert.deepStrictEqual(yield* m.getData(s.token, "v"), Option.some(value))
      }), { fastCheck: { numRuns: 100 } })
  })
})
