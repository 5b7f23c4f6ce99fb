/**
 * The `spans` option: with it every call of the manager runs in one span named after its operation
 * (the wipe fiber's wipes and the promise API's gathered calls too), ended with the call's exit;
 * without it the manager makes none. No span holds a token, on any backend.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import { inspect } from "node:util"
import * as PromiseApi from "../src/PromiseApi.js"
import * as SessionManager from "../src/SessionManager.js"
import { backends, makeManager, memory, uniqueNamespace } from "./utils/backends.js"

/** What a recording tracer kept of one span. */
interface Recorded {
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly attributes: Map<string, unknown>
  readonly parent: Option.Option<Tracer.AnySpan>
  exit: Exit.Exit<unknown, unknown> | undefined
}

/** A tracer that keeps every span it is asked for, in order. */
const recording = () => {
  const spans: Array<Recorded> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const recorded: Recorded = { name, kind, attributes: new Map(), parent, exit: undefined }
      spans.push(recorded)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${spans.length}`,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: recorded.attributes,
        links: [...links],
        sampled: true,
        kind,
        end: (_endTime, exit) => {
          recorded.exit = exit
        },
        attribute: (key, value) => {
          recorded.attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

/** Everything a span exporter could send of the spans: names, attributes and exits, printed in full. */
const exported = (spans: ReadonlyArray<Recorded>) =>
  spans.map((span) =>
    inspect({ name: span.name, attributes: [...span.attributes], exit: span.exit }, { depth: 20, showHidden: true })
  ).join("\n")

/** The tag of the typed error a span's exit failed with, if it failed. */
const failureTag = (exit: Exit.Exit<unknown, unknown> | undefined): string | undefined =>
  exit === undefined || Exit.isSuccess(exit)
    ? undefined
    : Option.getOrUndefined(
      Option.map(Cause.failureOption(exit.cause), (error) => (error as { readonly _tag: string })._tag)
    )

describe.each(backends)("spans on %s", (_backendName, backend) => {
  layer(backend)((it) => {
    it.scoped("each call runs in one span named after its operation, ended with its exit, holding no token", () => {
      const { spans, tracer } = recording()
      return Effect.gen(function*() {
        const namespace = uniqueNamespace()
        const m = yield* makeManager({ namespace, spans: true, wipeInterval: 0 })
        const session = yield* m.create("alice")
        const token = Redacted.value(session.token)
        yield* m.get(session.token)
        yield* m.get(token, { noUpdate: true })
        yield* m.exists(token)
        yield* m.setData(token, "lang", "en")
        yield* m.getData(token, "lang")
        const prefs = m.data({ theme: Schema.Literal("dark", "light") })
        yield* prefs.set(token, { theme: "dark" })
        yield* prefs.get(token, "theme")
        yield* m.count()
        yield* m.kill(session.sessionId)
        const missing = yield* Effect.either(m.get(token))
        const malformed = yield* Effect.either(m.get(`${token}!`))
        yield* m.killAll
        assert.strictEqual(missing._tag, "Left")
        assert.strictEqual(malformed._tag, "Left")

        assert.deepStrictEqual(spans.map((span) => span.name), [
          "SessionManager.create",
          "SessionManager.get",
          "SessionManager.get",
          "SessionManager.exists",
          "SessionManager.setData",
          "SessionManager.getData",
          "SessionManager.data.set",
          "SessionManager.data.get",
          "SessionManager.count",
          "SessionManager.kill",
          "SessionManager.get",
          "SessionManager.get",
          "SessionManager.killAll"
        ])
        for (const span of spans) {
          assert.strictEqual(span.kind, "client")
          assert.deepStrictEqual([...span.attributes], [["session.namespace", namespace]])
          // each call's span is its own: no call of the manager runs inside another's
          assert.isTrue(Option.isNone(span.parent))
          assert.isDefined(span.exit, `${span.name} ended`)
        }
        assert.deepStrictEqual(
          spans.map((span) => Exit.isSuccess(span.exit!) ? "ok" : failureTag(span.exit)),
          [...Array(10).fill("ok"), "SessionNotFound", "ValidationError", "ok"]
        )
        const text = exported(spans)
        assert.include(text, "SessionNotFound") // the exits were printed in full...
        assert.notInclude(text, token) // ...and no token is in them
      }).pipe(Effect.withTracer(tracer))
    })

    it.scoped("without the option the manager makes no span", () => {
      const { spans, tracer } = recording()
      return Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), wipeInterval: 0 })
        const session = yield* m.create("alice")
        yield* m.get(session.token)
        yield* m.setData(session.token, "lang", "en")
        yield* m.data({ lang: Schema.String }).get(session.token, "lang")
        yield* m.kill(session.sessionId)
        yield* m.wipe
        // the recording tracer does see spans of this fiber: the manager just made none
        yield* Effect.withSpan(Effect.void, "the test's own")
        assert.deepStrictEqual(spans.map((span) => span.name), ["the test's own"])
      }).pipe(Effect.withTracer(tracer))
    })

    it.scoped("the promise API's calls made together run in one span that counts them", () => {
      const { spans, tracer } = recording()
      return Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), spans: true, wipeInterval: 0 })
        const [a, b] = yield* Effect.all([m.create("alice"), m.create("bob")])
        const api = yield* PromiseApi.fromService(m)
        spans.length = 0
        const live = yield* Effect.promise(() =>
          Promise.all([api.exists(a!.token), api.exists(b!.token), api.exists(Redacted.value(a!.token))])
        )
        assert.deepStrictEqual(live, [true, true, true])
        assert.deepStrictEqual(spans.map((span) => [span.name, span.attributes.get("session.calls")]), [
          ["SessionManager.exists", 3]
        ])
        assert.notInclude(exported(spans), Redacted.value(a!.token))
      }).pipe(Effect.withTracer(tracer))
    })
  })
})

describe("spans of the wipe fiber", () => {
  layer(memory)((it) => {
    it.scoped("each periodic wipe runs in a span", () => {
      const { spans, tracer } = recording()
      return Effect.gen(function*() {
        const m = yield* makeManager({ namespace: uniqueNamespace(), spans: true, ttl: 5, wipeInterval: 10 })
        yield* m.create("alice")
        spans.length = 0
        yield* TestClock.adjust("10 seconds")
        yield* TestClock.adjust("10 seconds")
        const wipes = spans.filter((span) => span.name === "SessionManager.wipe")
        assert.strictEqual(wipes.length, 2)
        assert.deepStrictEqual(wipes.map((span) => span.exit && Exit.isSuccess(span.exit) ? span.exit.value : "?"), [
          1,
          0
        ])
      }).pipe(Effect.withTracer(tracer))
    })
  })
})

describe("spans option", () => {
  layer(memory)((it) => {
    it.scoped("anything but a boolean is refused, and no manager is made", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          SessionManager.make({ namespace: uniqueNamespace(), spans: "yes" as unknown as boolean })
        )
        assert.strictEqual(error._tag, "ValidationError")
        assert.include(error.message, "spans")
      }))
  })
})
