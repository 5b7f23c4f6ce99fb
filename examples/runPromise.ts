/**
 * The seed's express example, as an Effect program run with `ManagedRuntime` at the edge of a
 * plain `node:http` server: /login?userName=..., /killSession/:sessionId, /killUser/:userId.
 *
 * Run: npx tsx examples/runPromise.ts (in-memory store; set REDIS_URL to use Redis)
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { createServer } from "node:http"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"

const Sessions = SessionManager.layer({
  namespace: "myapp",
  additionalFields: { groupId: Schema.Number },
  ttl: 120 // default time-to-live in seconds
}).pipe(Layer.provide(process.env.REDIS_URL ? RedisLayer.layerConfig() : RedisLayer.layerMemory))

const runtime = ManagedRuntime.make(Sessions)

const login = (userName: string) =>
  Effect.gen(function*() {
    const sm = yield* SessionManager.SessionManager
    // ...login application logic here
    const session = yield* sm.create(userName, { ttl: 240, fields: { groupId: 111 } })
    // the token is the client's secret (send it as a cookie); the id is the public handle for admin pages
    return `Your session id is ${session.sessionId}; your token is ${Redacted.value(session.token)}`
  })

const killSession = (sessionId: string) =>
  Effect.gen(function*() {
    const sm = yield* SessionManager.SessionManager
    yield* sm.kill(sessionId)
    return `Session ${sessionId} is closed`
  })

const killUser = (userId: string) =>
  Effect.gen(function*() {
    const sm = yield* SessionManager.SessionManager
    yield* sm.killUser(userId)
    return `All sessions for user "${userId}" are closed.`
  })

const route = (url: URL): Effect.Effect<string, unknown, SessionManager.SessionManager> => {
  const [, action, arg = ""] = url.pathname.split("/")
  if (action === "login") return login(url.searchParams.get("userName") ?? "")
  if (action === "killSession") return killSession(decodeURIComponent(arg))
  if (action === "killUser") return killUser(decodeURIComponent(arg))
  return Effect.succeed("Try /login?userName=alice")
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  runtime.runPromise(route(url)).then(
    (body) => res.end(body),
    (error: unknown) => {
      res.statusCode = 400
      res.end(String(error))
    }
  )
})

const port = Number(process.env.PORT ?? 3000)
server.listen(port, () => console.log(`listening on http://localhost:${port}`))
process.once("SIGINT", () => server.close(() => runtime.dispose()))
