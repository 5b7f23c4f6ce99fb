/**
 * The example server as `npm start` runs it: a real process on a free port, driven over real HTTP,
 * stopped with SIGINT (Ctrl-C), which must exit 0 after releasing everything. In memory, and on
 * Redis with REDIS_URL.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { inject } from "vitest"
import { route, sessionsLayer } from "../examples/promises.js"
import * as PromiseApi from "../src/PromiseApi.js"
import * as RedisLayer from "../src/RedisLayer.js"
import { exampleServer } from "./utils/exampleServer.js"

const request = (url: string, init: RequestInit = {}) => Effect.promise(() => fetch(url, init))

const scenarios: ReadonlyArray<readonly [string, () => Record<string, string | undefined>]> = [
  ["in memory", () => ({ REDIS_URL: undefined })],
  ["on Redis (REDIS_URL)", () => ({ REDIS_URL: inject("redisUrl") })]
]

describe.each(scenarios)("npm start %s", (name, env) => {
  it.live("serves login, /me and /killUser, and exits 0 on SIGINT", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* exampleServer(env())
      assert.include(server.output(), name === "in memory" ? "in-memory store" : "Redis from REDIS_URL")
      const user = `user-${process.pid}-${Date.now()}`

      const login = yield* request(`${server.url}/login?userName=${user}`)
      assert.strictEqual(login.status, 200)
      const setCookie = login.headers.get("set-cookie") ?? ""
      assert.match(setCookie, /^session=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Lax$/)
      assert.strictEqual(login.headers.get("cache-control"), "no-store")
      const cookie = setCookie.split(";")[0]!

      const me = yield* request(`${server.url}/me`, { headers: { cookie } })
      assert.strictEqual(me.status, 200)
      assert.strictEqual(((yield* Effect.promise(() => me.json())) as { userId: string }).userId, user)

      const kill = yield* request(`${server.url}/killUser/${user}`)
      assert.strictEqual(kill.status, 200)
      assert.include(yield* Effect.promise(() => kill.text()), `All sessions for user "${user}" are closed (1)`)
      assert.strictEqual((yield* request(`${server.url}/me`, { headers: { cookie } })).status, 401)

      const code = yield* Effect.promise(() => server.stop("SIGINT"))
      assert.strictEqual(code, 0, server.output())
      assert.include(server.output(), "stopped: server closed")
      assert.include(server.output(), "SESSION COOKIES ARE NOT SECURE")
    })))
})

describe("npm start as a supervisor runs it", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it.live(`${signal} to npm's own pid stops the server, exit 0, port free, nothing left running`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* exampleServer({ REDIS_URL: undefined }, { viaNpm: true })
        assert.strictEqual((yield* request(`${server.url}/stats`)).status, 200)
        const code = yield* Effect.promise(() =>
          Promise.race([
            server.stop(signal),
            new Promise<string>((resolve) => setTimeout(() => resolve("still running after 5 s"), 5000))
          ])
        )
        assert.strictEqual(code, 0, server.output())
        assert.include(server.output(), "stopped: server closed")
        const refused = yield* Effect.promise(() => fetch(`${server.url}/stats`).then(() => false, () => true))
        assert.isTrue(refused, "the port still answers")
      })))
  }
})

describe("the example's defences", () => {
  it.live("security headers on every response; cross-site POSTs refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* exampleServer({ REDIS_URL: undefined })
      for (const path of ["/", "/me"]) {
        const response = yield* request(`${server.url}${path}`)
        assert.include(response.headers.get("content-security-policy") ?? "", "script-src 'sha256-")
        assert.include(response.headers.get("content-security-policy") ?? "", "frame-ancestors 'none'")
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff")
        assert.strictEqual(response.headers.get("referrer-policy"), "no-referrer")
      }
      const login = (headers: Record<string, string>) =>
        request(`${server.url}/login?userName=zoe`, { method: "POST", headers })
      assert.strictEqual((yield* login({ origin: "https://evil.example" })).status, 403)
      assert.strictEqual((yield* login({ origin: "null" })).status, 403)
      assert.strictEqual((yield* login({ "sec-fetch-site": "cross-site" })).status, 403)
      assert.strictEqual((yield* login({ origin: server.url })).status, 200)
      assert.strictEqual((yield* login({})).status, 200) // not a browser: no Origin to check
    })))

  it.live("on a non-loopback address the seed's unauthenticated routes are off", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* exampleServer({ REDIS_URL: undefined, HOST: "0.0.0.0" })
      assert.strictEqual((yield* request(`${server.url}/killUser/bob`)).status, 404)
      assert.strictEqual((yield* request(`${server.url}/killSession/${"A".repeat(16)}`)).status, 404)
      assert.strictEqual((yield* request(`${server.url}/login?userName=bob`)).status, 404)
      assert.notInclude(server.output(), "unauthenticated routes")
    })))
})

describe("examples/promises.ts (the seed's express example on PromiseApi)", () => {
  it.live("logs in, kills a session and a user's sessions, and rejects a bad user id with a ValidationError", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => PromiseApi.fromLayer(sessionsLayer(RedisLayer.layerMemory))),
      (sessions) =>
        Effect.promise(async () => {
          const at = (path: string) => route(sessions, new URL(path, "http://localhost"))
          const login = await at("/login?userName=alice")
          const [, sessionId, token] = /session id is (\S+); your token is (\S+)$/.exec(login) ?? []
          assert.isTrue(await sessions.exists(token!))
          await at("/login?userName=alice")
          assert.strictEqual(await at(`/killSession/${sessionId}`), `Session ${sessionId} is closed`)
          assert.isFalse(await sessions.exists(token!))
          assert.strictEqual(await at("/killUser/alice"), `All sessions for user "alice" are closed (1).`)
          const refused = await at("/login?userName=").then(() => undefined, (error: unknown) => error)
          assert.strictEqual((refused as { readonly _tag?: string })._tag, "ValidationError")
          assert.strictEqual(await sessions.count(), 0)
        }),
      (sessions) => Effect.promise(() => sessions.close())
    ))
})
