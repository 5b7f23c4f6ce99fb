/**
 * `Http.ApiMiddleware` / `Http.layerApiMiddleware` on an `HttpApi` (a `__Host-` cookie), and the
 * cookie settings: validation and the warning when `secure` is off.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Cookies from "@effect/platform/Cookies"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Http from "../src/Http.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { backends, uniqueNamespace } from "./utils/backends.js"
import { browser, setCookie, withCookie } from "./utils/httpApp.js"

class Authentication
  extends Http.ApiMiddleware<Authentication>()("test/Authentication", { cookieName: "__Host-sid" })
{}

const Me = Schema.Struct({ userId: Schema.String })

class Api extends HttpApi.make("api").add(
  HttpApiGroup.make("sessions")
    .add(HttpApiEndpoint.post("login", "/login").setUrlParams(Schema.Struct({ user: Schema.String })).addSuccess(Me))
    .add(HttpApiEndpoint.get("me", "/me").addSuccess(Me).middleware(Authentication))
    .add(HttpApiEndpoint.post("logout", "/logout").middleware(Authentication))
    .add(HttpApiEndpoint.post("rotate", "/rotate").addSuccess(Me).middleware(Authentication))
) {}

const SessionsLive = HttpApiBuilder.group(Api, "sessions", (handlers) =>
  handlers
    .handle("login", ({ urlParams }) =>
      Effect.orDie(Effect.map(Http.login(urlParams.user), (s) => ({ userId: s.userId }))))
    .handle("me", () =>
      Effect.map(Http.requireSession, (s) => ({ userId: s.userId })))
    .handle("logout", () => Effect.orDie(Http.logout))
    .handle("rotate", () => Effect.map(Effect.orDie(Http.rotate), (s) => ({ userId: s.userId }))))

const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(SessionsLive),
  Layer.provide(Http.layerApiMiddleware(Authentication))
)

describe.each(backends)("HttpApi middleware on %s", (_name, backend) => {
  const Env = HttpApiBuilder.serve().pipe(
    Layer.provide(ApiLive),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(Http.layer({ name: "sid", hostPrefix: true })),
    Layer.provideMerge(SessionManager.layer({ namespace: uniqueNamespace("api"), wipeInterval: 0 })),
    Layer.provideMerge(backend)
  )

  layer(Env)((it) => {
    it.effect("login sets the __Host- cookie; it authenticates; logout ends it", () =>
      Effect.gen(function*() {
        const { client, jar } = yield* browser
        const login = yield* client.post("/login?user=alice")
        assert.strictEqual(login.status, 200)
        assert.strictEqual(login.headers["cache-control"], "no-store")
        const cookie = setCookie(login, "__Host-sid")
        assert.deepStrictEqual({ ...cookie.options }, { httpOnly: true, secure: true, sameSite: "lax", path: "/" })
        assert.deepStrictEqual(yield* (yield* client.get("/me")).json, { userId: "alice" })

        const rotate = yield* client.post("/rotate")
        assert.strictEqual(rotate.status, 200)
        const rotated = Option.getOrThrow(Cookies.getValue(yield* Ref.get(jar), "__Host-sid"))
        assert.notStrictEqual(rotated, cookie.value)
        assert.strictEqual((yield* withCookie("GET", "/me", `__Host-sid=${cookie.value}`)).status, 401)
        assert.strictEqual((yield* client.get("/me")).status, 200)

        const logout = yield* client.post("/logout")
        assert.strictEqual(logout.status, 204)
        assert.strictEqual(logout.headers["cache-control"], "no-store")
        assert.strictEqual(setCookie(logout, "__Host-sid").value, "")
        assert.strictEqual((yield* client.get("/me")).status, 401)
        assert.strictEqual((yield* withCookie("GET", "/me", `__Host-sid=${rotated}`)).status, 401)
      }))

    it.effect("a Bearer token authenticates when no session cookie is sent, never beside one", () =>
      Effect.gen(function*() {
        const { client, jar } = yield* browser
        yield* client.post("/login?user=dora")
        const token = Option.getOrThrow(Cookies.getValue(yield* Ref.get(jar), "__Host-sid"))
        const bearer = (cookie?: string) =>
          Effect.flatMap(HttpClient.HttpClient, (plain) =>
            plain.execute(
              HttpClientRequest.get("/me").pipe(
                HttpClientRequest.setHeader("authorization", `Bearer ${token}`),
                cookie === undefined ? (r) => r : HttpClientRequest.setHeader("cookie", cookie)
              )
            ))
        const alone = yield* bearer()
        assert.strictEqual(alone.status, 200)
        assert.deepStrictEqual(yield* alone.json, { userId: "dora" })
        // a session cookie (here a stale one) takes precedence, as in the router middleware
        assert.strictEqual((yield* bearer("__Host-sid=" + "A".repeat(32))).status, 401)
        assert.strictEqual((yield* bearer("other=1")).status, 200)
      }))

    it.effect("no cookie, a bad cookie, a cookie of the wrong name: 401 Unauthorized", () =>
      Effect.gen(function*() {
        const { client } = yield* browser
        yield* client.post("/login?user=bob")
        const missing = yield* withCookie("GET", "/me")
        assert.strictEqual(missing.status, 401)
        assert.strictEqual(((yield* missing.json) as { _tag: string })._tag, "Unauthorized")
        for (const cookie of ["__Host-sid=", "__Host-sid=" + "x".repeat(5000), "__Host-sid=%00%01", "sid=abc"]) {
          assert.strictEqual((yield* withCookie("GET", "/me", cookie)).status, 401)
        }
      }))
  })
})

describe("cookie settings", () => {
  it.effect("the __Host- prefix by default when Secure; invalid combinations are refused", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* Http.makeConfig()).name, "__Host-session")
      assert.strictEqual((yield* Http.makeConfig({ secure: false })).name, "session")
      assert.strictEqual((yield* Http.makeConfig({ domain: "example.com" })).name, "session")
      assert.strictEqual((yield* Http.makeConfig({ path: "/app" })).name, "session")
      assert.strictEqual((yield* Http.makeConfig({ hostPrefix: false })).name, "session")
      // durations: bare numbers are seconds, as everywhere in the library
      const maxAge = (yield* Http.makeConfig({ maxAge: 3600 })).maxAge
      assert.deepStrictEqual(Option.map(maxAge, Duration.toSeconds), Option.some(3600))
      const parsed = (yield* Http.makeConfig({ maxAge: "2 hours" })).maxAge
      assert.deepStrictEqual(Option.map(parsed, Duration.toSeconds), Option.some(7200))
      const cross = yield* Http.makeConfig({ sameSite: "none", partitioned: true })
      assert.deepStrictEqual([cross.sameSite, cross.partitioned], ["none", true])
      const errors = yield* Effect.all(
        [
          { hostPrefix: true, secure: false },
          { hostPrefix: true, domain: "example.com" },
          { hostPrefix: true, path: "/app" },
          { name: "__Host-x", secure: false },
          { name: "a b" },
          { name: "" },
          { name: "a;b" },
          { sameSite: "none", secure: false },
          { partitioned: true, secure: false },
          { sameSite: "sometimes" as "lax" },
          { path: "app" },
          { domain: "a;b" },
          { maxAge: "soon" as "1 hour" }
        ].map((options) => Effect.flip(Http.makeConfig(options as Http.CookieOptions)))
      )
      assert.strictEqual(errors.length, 13)
      for (const error of errors) assert.strictEqual(error._tag, "ValidationError")
    }))

  it.effect("secure: false logs a warning when the layer is built", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        logged.push(`${logLevel.label} ${String(message)}`)
      })
      const config = yield* Effect.provide(
        Http.SessionCookie,
        Http.layer({ secure: false }).pipe(Layer.provide(Logger.replace(Logger.defaultLogger, capture)))
      )
      assert.isFalse(config.secure)
      assert.strictEqual(logged.length, 1)
      assert.match(logged[0]!, /^WARN SESSION COOKIES ARE NOT SECURE/)
    }))

  it.effect("layerApiMiddleware refuses a tag whose cookie is not the configured one", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provide(
        Authentication,
        Http.layerApiMiddleware(Authentication).pipe(
          Layer.provide(Http.layer({ name: "other" })),
          Layer.provide(SessionManager.layer({ namespace: uniqueNamespace("api") })),
          Layer.provide(RedisLayer.layerMemory)
        )
      ))
      assert.isTrue(Exit.isFailure(exit))
    }))
})
