/**
 * The HTTP middleware and helpers of `src/Http.ts`, over a real HTTP server (NodeHttpServer.layerTest)
 * and a cookie-keeping client, against the in-memory fake and a real Redis.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Http from "../src/Http.js"
import type { SessionToken } from "../src/Schema.js"
import * as Session from "../src/Session.js"
import * as SessionManager from "../src/SessionManager.js"
import { advance, backends, uniqueNamespace } from "./utils/backends.js"
import { browser, serverLayer, setCookie, withAuthorization, withCookie } from "./utils/httpApp.js"

/** The default cookie's name: a Secure cookie with Path=/ and no Domain gets the __Host- prefix. */
const cookieName = "__Host-session"

const tokenOf = (jar: Ref.Ref<Cookies.Cookies>) =>
  Effect.map(Ref.get(jar), (cookies) => Option.getOrThrow(Cookies.getValue(cookies, cookieName)))

const loggedIn = (user: string) =>
  Effect.gen(function*() {
    const b = yield* browser
    const response = yield* b.client.post(`/login?user=${user}`)
    assert.strictEqual(response.status, 200)
    return { ...b, token: yield* tokenOf(b.jar) }
  })

const status = <R>(effect: Effect.Effect<{ readonly status: number }, unknown, R>) =>
  Effect.map(Effect.orDie(effect), (response) => response.status)

describe.each(backends)("Http on %s", (_name, backend) => {
  const Env = serverLayer.pipe(
    Layer.provideMerge(Http.layer()),
    Layer.provideMerge(SessionManager.layer({ namespace: uniqueNamespace("http"), ttl: 60, wipeInterval: 0 })),
    Layer.provideMerge(backend)
  )

  layer(Env)((it) => {
    it.effect("login sets an HttpOnly, Secure, SameSite=Lax, Path=/ cookie with Cache-Control: no-store", () =>
      Effect.gen(function*() {
        const { client } = yield* browser
        const response = yield* client.post("/login?user=alice")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers["cache-control"], "no-store")
        const cookie = setCookie(response, cookieName)
        assert.match(cookie.value, /^[A-Za-z0-9_-]{32}$/)
        assert.deepStrictEqual({ ...cookie.options }, { httpOnly: true, secure: true, sameSite: "lax", path: "/" })
        const sm = yield* SessionManager.SessionManager
        assert.strictEqual((yield* sm.get(cookie.value, { noUpdate: true })).userId, "alice")
      }))

    it.effect("the cookie authenticates /me and each request touches the session", () =>
      Effect.gen(function*() {
        const { client } = yield* loggedIn("bob")
        const first = yield* client.get("/me")
        assert.strictEqual(first.status, 200)
        const before = (yield* first.json) as { userId: string; lastAccess: number }
        assert.strictEqual(before.userId, "bob")
        assert.isUndefined(first.headers["set-cookie"])
        yield* advance(5)
        const after = (yield* (yield* client.get("/me")).json) as { lastAccess: number }
        assert.closeTo(after.lastAccess - before.lastAccess, 5, 0.5)
        assert.deepStrictEqual(yield* (yield* client.get("/optional")).json, { loggedIn: true })
      }))

    it.effect("no token: /me is 401 with a JSON body, optional routes see no session", () =>
      Effect.gen(function*() {
        const response = yield* withCookie("GET", "/me")
        assert.strictEqual(response.status, 401)
        assert.strictEqual(((yield* response.json) as { _tag: string })._tag, "Unauthorized")
        assert.deepStrictEqual(yield* (yield* withCookie("GET", "/optional")).json, { loggedIn: false })
      }))

    it.effect("an Authorization: Bearer token authenticates when no cookie is sent", () =>
      Effect.gen(function*() {
        const { token } = yield* loggedIn("carol")
        assert.strictEqual(yield* status(withAuthorization("/me", `Bearer ${token}`)), 200)
        assert.strictEqual(yield* status(withAuthorization("/me", `bearer ${token}`)), 200)
        assert.strictEqual(yield* status(withAuthorization("/me", `Basic ${token}`)), 401)
        assert.strictEqual(yield* status(withAuthorization("/me", `Bearer ${token}x`)), 401)
      }))

    it.effect("the cookie takes precedence: a Bearer header counts only when no cookie is sent", () =>
      Effect.gen(function*() {
        const cookieSession = yield* loggedIn("cookie-user")
        const bearerSession = yield* loggedIn("bearer-user")
        const both = (cookie: string) =>
          Effect.flatMap(HttpClient.HttpClient, (client) =>
            client.execute(
              HttpClientRequest.get("/me").pipe(
                HttpClientRequest.setHeader("cookie", cookie),
                HttpClientRequest.setHeader("authorization", `Bearer ${bearerSession.token}`)
              )
            ))
        const response = yield* both(`${cookieName}=${cookieSession.token}`)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(((yield* response.json) as { userId: string }).userId, "cookie-user")
        // a cookie that names no session is not rescued by the header
        assert.strictEqual((yield* both(`${cookieName}=${"A".repeat(32)}`)).status, 401)
      }))

    it.scoped("bad tokens are 401: empty, too long, wrong alphabet, unknown, another namespace's", () =>
      Effect.gen(function*() {
        const { token } = yield* loggedIn("dave")
        const other = yield* SessionManager.make({ namespace: uniqueNamespace("other") })
        const foreignSession = yield* other.create("dave")
        const foreign = Redacted.value(foreignSession.token)
        const bad = [
          "",
          token + "A",
          token.repeat(500),
          "!".repeat(32),
          token.slice(0, 31) + "=",
          token.slice(0, 31) + "é",
          "A".repeat(32),
          Session.idOf(token as SessionToken), // the session's id never authenticates
          foreign
        ]
        for (const value of bad) {
          assert.strictEqual(yield* status(withCookie("GET", "/me", `${cookieName}=${encodeURIComponent(value)}`)), 401)
          assert.strictEqual(yield* status(withAuthorization("/me", `Bearer ${value}`)), 401)
        }
        assert.strictEqual(yield* status(withCookie("GET", "/me", `${cookieName}=${token}`)), 200)
        assert.isTrue(yield* other.exists(foreign))
      }))

    it.effect("logout kills the session and expires the cookie; the next request is 401", () =>
      Effect.gen(function*() {
        const { client, token } = yield* loggedIn("erin")
        const response = yield* client.post("/logout")
        assert.strictEqual(response.status, 204)
        assert.strictEqual(response.headers["cache-control"], "no-store")
        const cookie = setCookie(response, cookieName)
        assert.strictEqual(cookie.value, "")
        assert.strictEqual(Duration.toMillis(cookie.options?.maxAge ?? Duration.infinity), 0)
        assert.deepStrictEqual({ ...cookie.options, maxAge: undefined }, {
          httpOnly: true,
          secure: true,
          sameSite: "lax",
          path: "/",
          maxAge: undefined
        })
        assert.strictEqual((yield* client.get("/me")).status, 401)
        assert.strictEqual(yield* status(withCookie("GET", "/me", `${cookieName}=${token}`)), 401)
        assert.isFalse(yield* Effect.flatMap(SessionManager.SessionManager, (sm) => sm.exists(token)))
      }))

    it.effect("a session killed on the server (kill, killUser, expiry) is 401 at the next request", () =>
      Effect.gen(function*() {
        const sm = yield* SessionManager.SessionManager
        const one = yield* loggedIn("frank")
        const two = yield* loggedIn("grace")
        const three = yield* loggedIn("heidi")
        yield* sm.kill(Session.idOf(one.token as SessionToken))
        yield* sm.killUser("grace")
        assert.strictEqual((yield* one.client.get("/me")).status, 401)
        assert.strictEqual((yield* two.client.get("/me")).status, 401)
        assert.strictEqual((yield* three.client.get("/me")).status, 200)
        yield* advance(61)
        assert.strictEqual((yield* three.client.get("/me")).status, 401)
      }))

    it.effect("rotation gives a new cookie and the old token is dead", () =>
      Effect.gen(function*() {
        const { client, jar, token } = yield* loggedIn("ivan")
        const response = yield* client.post("/rotate")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers["cache-control"], "no-store")
        const rotated = yield* tokenOf(jar)
        assert.notStrictEqual(rotated, token)
        assert.strictEqual(setCookie(response, cookieName).options?.httpOnly, true)
        assert.strictEqual(((yield* (yield* client.get("/me")).json) as { userId: string }).userId, "ivan")
        assert.strictEqual(yield* status(withCookie("GET", "/me", `${cookieName}=${token}`)), 401)
        assert.strictEqual(yield* status(withCookie("POST", "/rotate", `${cookieName}=${token}`)), 401)
      }))

    it.effect("logout-others kills the user's other sessions only", () =>
      Effect.gen(function*() {
        const laptop = yield* loggedIn("judy")
        const phone = yield* loggedIn("judy")
        const tablet = yield* loggedIn("judy")
        const someoneElse = yield* loggedIn("kim")
        const response = yield* laptop.client.post("/logout-others")
        assert.deepStrictEqual(yield* response.json, { killed: 2 })
        assert.strictEqual((yield* laptop.client.get("/me")).status, 200)
        assert.strictEqual((yield* phone.client.get("/me")).status, 401)
        assert.strictEqual((yield* tablet.client.get("/me")).status, 401)
        assert.strictEqual((yield* someoneElse.client.get("/me")).status, 200)
        assert.strictEqual(yield* status(withCookie("POST", "/logout-others")), 401)
      }))

    it.effect("logging in again replaces the session the browser had", () =>
      Effect.gen(function*() {
        const { client, jar, token } = yield* loggedIn("leo")
        yield* client.post("/login?user=mallory")
        const next = yield* tokenOf(jar)
        assert.notStrictEqual(next, token)
        assert.isFalse(yield* Effect.flatMap(SessionManager.SessionManager, (sm) => sm.exists(token)))
        assert.strictEqual(((yield* (yield* client.get("/me")).json) as { userId: string }).userId, "mallory")
      }))
  })
})
