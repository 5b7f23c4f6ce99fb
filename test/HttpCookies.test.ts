/**
 * The session cookie's attributes in the configurations users pick: a `Max-Age` that rolls with
 * every request the cookie authenticates (and keeps every other attribute), `Domain`, `Path`,
 * `SameSite=None` with `Partitioned`; a Bearer-authenticated request gets no cookie. And what the
 * middleware does while the store fails: a 500, or (lenient) no session.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { RedisError } from "../src/Errors.js"
import * as Http from "../src/Http.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { router, serverLayer, withAuthorization, withCookie } from "./utils/httpApp.js"

/** Whether the test store is down. */
class Outage extends Context.Tag("test/Outage")<Outage, Ref.Ref<boolean>>() {}

const sessions = SessionManager.layer({ namespace: "cookies", ttl: 60, wipeInterval: 0 }).pipe(
  Layer.provide(RedisLayer.layerMemory)
)
const server = (options: Http.CookieOptions) =>
  serverLayer.pipe(Layer.provideMerge(Http.layer(options)), Layer.provideMerge(sessions))

/** The response's Set-Cookie header lines (empty when it sets none). */
const setCookies = (response: { readonly headers: Readonly<Record<string, string | undefined>> }) =>
  (response.headers["set-cookie"] ?? "").split(/,(?=\s*[^;,]+=)/).map((line) => line.trim()).filter((l) => l !== "")

const attributes = (line: string) => line.split(";").slice(1).map((part) => part.trim().toLowerCase()).sort()

describe("session cookie attributes", () => {
  layer(server({ maxAge: "1 hour" }), { excludeTestServices: true })("with maxAge", (it) => {
    it.effect("login, every authenticated request and rotation send the cookie with Max-Age and every attribute", () =>
      Effect.gen(function*() {
        const login = yield* withCookie("POST", "/login?user=mia")
        const [sent] = setCookies(login)
        assert.match(sent!, /^__Host-session=[A-Za-z0-9_-]{32};/)
        const expected = ["httponly", "max-age=3600", "path=/", "samesite=lax", "secure"]
        assert.deepStrictEqual(attributes(sent!), expected)
        const cookie = sent!.split(";")[0]!
        // the cookie rolls: each request it authenticates sends it again, same attributes
        const me = yield* withCookie("GET", "/me", cookie)
        assert.strictEqual(me.status, 200)
        assert.deepStrictEqual(setCookies(me).map(attributes), [expected])
        assert.strictEqual(setCookies(me)[0]!.split(";")[0], cookie)
        const rotated = yield* withCookie("POST", "/rotate", cookie)
        assert.strictEqual(rotated.status, 200)
        const [renewed] = setCookies(rotated)
        assert.notStrictEqual(renewed!.split(";")[0], cookie)
        assert.deepStrictEqual(attributes(renewed!), expected)
        // no session, no cookie; a Bearer token is not turned into a cookie
        assert.deepStrictEqual(setCookies(yield* withCookie("GET", "/optional")), [])
        const bearer = yield* withAuthorization("/me", `Bearer ${renewed!.split(";")[0]!.split("=")[1]}`)
        assert.strictEqual(bearer.status, 200)
        assert.deepStrictEqual(setCookies(bearer), [])
      }))
  })

  layer(server({ domain: "example.com", path: "/app", sameSite: "none", partitioned: true }), {
    excludeTestServices: true
  })("with a domain, a path, SameSite=None and Partitioned", (it) => {
    it.effect("the cookie carries them, without the __Host- prefix", () =>
      Effect.gen(function*() {
        const [sent] = setCookies(yield* withCookie("POST", "/login?user=noa"))
        assert.match(sent!, /^session=/)
        assert.deepStrictEqual(attributes(sent!), [
          "domain=example.com",
          "httponly",
          "partitioned",
          "path=/app",
          "samesite=none",
          "secure"
        ])
      }))
  })
})

/** The in-memory store, with reads failing while `down` holds. */
const flakyStore = (down: Ref.Ref<boolean>) =>
  Layer.effect(
    RedisLayer.RedisClient,
    Effect.map(RedisLayer.RedisClient, (inner) => ({
      open: (config) =>
        Effect.map(inner.open(config), (store) => ({
          ...store,
          get: (sessionId, touch, touchAfter) =>
            Effect.flatMap(Ref.get(down), (isDown) =>
              isDown
                ? Effect.fail(new RedisError({ message: "Connection is closed." }))
                : store.get(sessionId, touch, touchAfter))
        }))
    } satisfies RedisLayer.RedisClientService))
  ).pipe(Layer.provide(RedisLayer.layerMemory))

describe("a session store that fails", () => {
  const Down = Layer.effect(Outage, Ref.make(false))
  const serve = (middleware: typeof Http.middleware) =>
    HttpServer.serve(middleware(router)).pipe(
      Layer.provideMerge(NodeHttpServer.layerTest),
      Layer.provideMerge(Http.layer()),
      Layer.provideMerge(
        SessionManager.layer({ namespace: "flaky", wipeInterval: 0 }).pipe(
          Layer.provide(Layer.unwrapEffect(Effect.map(Outage, flakyStore)))
        )
      ),
      Layer.provideMerge(Down)
    )

  for (
    const [name, middleware, whileDown] of [
      ["the middleware", Http.middleware, 500],
      ["the lenient middleware", Http.lenientMiddleware, 200]
    ] as const
  ) {
    layer(serve(middleware), { excludeTestServices: true })(name, (it) => {
      it.effect(`answers ${whileDown} while it is down, and uses the session once it is back`, () =>
        Effect.gen(function*() {
          const login = yield* withCookie("POST", "/login?user=ola")
          assert.strictEqual(login.status, 200)
          const [sent] = setCookies(login)
          const cookie = sent!.split(";")[0]!
          yield* Effect.flatMap(Outage, (down) => Ref.set(down, true))
          const during = yield* withCookie("GET", "/optional", cookie)
          assert.strictEqual(during.status, whileDown)
          if (whileDown === 200) assert.deepStrictEqual(yield* during.json, { loggedIn: false })
          yield* Effect.flatMap(Outage, (down) => Ref.set(down, false))
          assert.deepStrictEqual(yield* (yield* withCookie("GET", "/optional", cookie)).json, { loggedIn: true })
        }))
    })
  }
})
