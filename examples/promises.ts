/**
 * The seed's express example as a redisess user migrates it: plain `async` handlers awaiting the
 * manager's promises (`PromiseApi`), on a `node:http` server: /login?userName=...,
 * /killSession/:sessionId, /killUser/:userId. Each call is an Effect program underneath; the calls
 * that requests make together run as one.
 *
 * Run: npx tsx examples/promises.ts (in-memory store; set REDIS_URL to use Redis)
 */
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { createServer } from "node:http"
import { pathToFileURL } from "node:url"
import * as PromiseApi from "../src/PromiseApi.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"

/** The manager of the example, on Redis or in memory. */
export const sessionsLayer = (redis: Layer.Layer<RedisLayer.RedisClient, unknown>) =>
  SessionManager.layer({
    namespace: "myapp",
    additionalFields: { groupId: Schema.Number },
    ttl: 120 // default time-to-live in seconds
  }).pipe(Layer.provide(redis))

/** The seed's routes: the body of the answer, or a rejection with the manager's typed error. */
export const route = async (sessions: PromiseApi.PromiseSessionManager, url: URL): Promise<string> => {
  const [, action, arg = ""] = url.pathname.split("/")
  if (action === "login") {
    // ...login application logic here
    const session = await sessions.create(url.searchParams.get("userName") ?? "", {
      ttl: 240,
      fields: { groupId: 111 }
    })
    // the token is the client's secret (send it as a cookie); the id is the public handle for admin pages
    return `Your session id is ${session.sessionId}; your token is ${Redacted.value(session.token)}`
  }
  if (action === "killSession") {
    await sessions.kill(decodeURIComponent(arg))
    return `Session ${decodeURIComponent(arg)} is closed`
  }
  if (action === "killUser") {
    const closed = await sessions.killUser(decodeURIComponent(arg))
    return `All sessions for user "${decodeURIComponent(arg)}" are closed (${closed}).`
  }
  return "Try /login?userName=alice"
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sessions = await PromiseApi.fromLayer(
    sessionsLayer(process.env.REDIS_URL ? RedisLayer.layerConfig() : RedisLayer.layerMemory)
  )
  const server = createServer((req, res) => {
    route(sessions, new URL(req.url ?? "/", "http://localhost")).then(
      (body) => res.end(body),
      (error: unknown) => {
        // a ValidationError, a RedisError...: its message names what went wrong, never a token
        res.statusCode = 400
        res.end(error instanceof Error ? error.message : String(error))
      }
    )
  })
  const port = Number(process.env.PORT ?? 3000)
  server.listen(port, () => console.log(`listening on http://localhost:${port}`))
  process.once("SIGINT", () => server.close(() => void sessions.close()))
}
