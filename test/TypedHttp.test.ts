/**
 * The HTTP helpers on an app's own typed manager tag (`Http.forManager`): the session handlers get
 * and the fields `login` takes are the app's, with no cast in the app (the type checker holds the
 * `@ts-expect-error` lines and the annotations below), and they work over real HTTP.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Cookies from "@effect/platform/Cookies"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Http from "../src/Http.js"
import * as RedisLayer from "../src/RedisLayer.js"
import type { Session } from "../src/Session.js"
import * as SessionManager from "../src/SessionManager.js"

const fields = { groupId: Schema.Number, nickname: Schema.optional(Schema.String) }
type Fields = Schema.Struct.Type<typeof fields>

class Sessions extends Context.Tag("test/TypedSessions")<Sessions, SessionManager.SessionManagerService<Fields>>() {}

const SessionsHttp = Http.forManager(Sessions)

// what a handler gets is the app's session, fields typed
const typedSession: Effect.Effect<Session<Fields>, Http.Unauthorized, Http.CurrentSession> = SessionsHttp.requireSession
const group: Effect.Effect<number, Http.Unauthorized, Http.CurrentSession> = Effect.map(
  SessionsHttp.requireSession,
  (s) => s.fields.groupId
)
// @ts-expect-error login checks the app's fields: groupId is a number
const _wrongField = SessionsHttp.login("eve", { fields: { groupId: "seven" } })
// @ts-expect-error a field the app did not declare
const _unknownField = SessionsHttp.login("eve", { fields: { groupId: 1, role: "admin" } })

const router = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/login",
    Effect.map(SessionsHttp.login("ada", { fields: { groupId: 7 } }), (s) => HttpServerResponse.unsafeJson(s.fields))
  ),
  HttpRouter.get("/group", Effect.map(group, (groupId) => HttpServerResponse.unsafeJson({ groupId }))),
  HttpRouter.get("/me", Effect.map(typedSession, (s) => HttpServerResponse.unsafeJson({ user: s.userId }))),
  HttpRouter.post("/logout", Effect.as(SessionsHttp.logout, HttpServerResponse.empty({ status: 204 })))
)

const TestServer = HttpServer.serve(SessionsHttp.middleware(router)).pipe(
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provide(Http.layer({ secure: false })),
  Layer.provide(
    Layer.scoped(Sessions, SessionManager.make({ namespace: "typed-http", additionalFields: fields })).pipe(
      Layer.provide(RedisLayer.layerMemory)
    )
  )
)

describe("Http.forManager", () => {
  it.scoped("a typed app logs in, reads its typed fields and logs out over HTTP", () =>
    Effect.gen(function*() {
      const jar = yield* Ref.make(Cookies.empty)
      const client = HttpClient.withCookiesRef(yield* HttpClient.HttpClient, jar)
      const login = yield* client.post("/login")
      assert.deepStrictEqual(yield* login.json, { groupId: 7 })
      assert.deepStrictEqual(yield* (yield* client.get("/group")).json, { groupId: 7 })
      assert.deepStrictEqual(yield* (yield* client.get("/me")).json, { user: "ada" })
      assert.strictEqual((yield* client.post("/logout")).status, 204)
      assert.strictEqual((yield* client.get("/me")).status, 401)
    }).pipe(Effect.provide(TestServer)))
})
