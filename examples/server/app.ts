/**
 * The example's routes: the seed's express example (`/login?userName=...`, `/killSession/:sessionId`,
 * `/killUser/:userId`) plus `/me`, `/sessions`, `/logout`, `/logout-others`, `/rotate`, `/stats` and
 * a small page at `/`, on `HttpRouter` behind `Http.middleware`.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Http from "../../src/Http.js"
import type { Session } from "../../src/Session.js"
import { SessionManager } from "../../src/SessionManager.js"
import { page } from "./page.js"

/** A session as the page shows it: its public id (never its token, which only the cookie holds). */
const describe = (session: Session, current: Session) => ({
  id: session.sessionId,
  userId: session.userId,
  current: session.sessionId === current.sessionId,
  createdAt: session.createdAt,
  lastAccess: session.lastAccess,
  expires: session.expires
})

/**
 * Logs in: `GET /login?userName=...` as in the seed, `POST` from the page. (A GET that logs in is
 * open to login CSRF, even with SameSite=Lax; it is here for parity with the seed.)
 */
const login = Effect.gen(function*() {
  const { userName } = yield* HttpServerRequest.schemaSearchParams(Schema.Struct({ userName: Schema.String }))
  const session = yield* Http.login(userName)
  return yield* HttpServerResponse.json({ userId: session.userId, message: `Logged in as ${session.userId}` })
}).pipe(
  Effect.catchTag("ValidationError", (error) => HttpServerResponse.json({ error: error.message }, { status: 400 }))
)

const me = Effect.flatMap(Http.requireSession, (session) => HttpServerResponse.json(describe(session, session)))

const sessions = Effect.gen(function*() {
  const current = yield* Http.requireSession
  const sm = yield* SessionManager
  const ids = yield* sm.getUserSessions(current.userId)
  const found = yield* Effect.forEach(ids, (id) => Effect.option(sm.inspect(id)))
  return yield* HttpServerResponse.json(Arr.getSomes(found).map((s) => describe(s, current)))
})

/** Ends one of the current user's sessions, named by its id. */
const endSession = Effect.gen(function*() {
  const current = yield* Http.requireSession
  const { id: wanted } = yield* HttpRouter.schemaPathParams(Schema.Struct({ id: Schema.String }))
  const sm = yield* SessionManager
  const ids = yield* sm.getUserSessions(current.userId)
  const id = ids.find((id) => id === wanted)
  if (id === undefined) return HttpServerResponse.empty({ status: 404 })
  if (id === current.sessionId) yield* Http.logout
  else yield* sm.kill(id)
  return HttpServerResponse.empty({ status: 204 })
})

const killSession = Effect.gen(function*() {
  const { sessionId } = yield* HttpRouter.schemaPathParams(Schema.Struct({ sessionId: Schema.String }))
  const sm = yield* SessionManager
  yield* sm.kill(sessionId)
  return HttpServerResponse.text(`Session is closed`)
}).pipe(
  Effect.catchTag("ValidationError", () => Effect.succeed(HttpServerResponse.text("No such session", { status: 400 })))
)

const killUser = Effect.gen(function*() {
  const { userId } = yield* HttpRouter.schemaPathParams(Schema.Struct({ userId: Schema.String }))
  const sm = yield* SessionManager
  const killed = yield* sm.killUser(userId)
  return HttpServerResponse.text(`All sessions for user "${userId}" are closed (${killed}).`)
}).pipe(
  Effect.catchTag("ValidationError", (error) => Effect.succeed(HttpServerResponse.text(error.message, { status: 400 })))
)

const stats = Effect.gen(function*() {
  const sm = yield* SessionManager
  const [count, active, users] = yield* Effect.all([sm.count(), sm.count(60), sm.getAllUsers()])
  return yield* HttpServerResponse.json({ count, activeLast60s: active, users })
})

/** The routes, behind the session middleware. */
export const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", Effect.succeed(HttpServerResponse.html(page))),
  HttpRouter.get("/login", login),
  HttpRouter.post("/login", login),
  HttpRouter.get("/me", me),
  HttpRouter.get("/sessions", sessions),
  HttpRouter.post("/sessions/:id/end", endSession),
  HttpRouter.post("/logout", Effect.as(Http.logout, HttpServerResponse.empty({ status: 204 }))),
  HttpRouter.post("/logout-others", Effect.flatMap(Http.logoutOthers, (killed) => HttpServerResponse.json({ killed }))),
  HttpRouter.post(
    "/rotate",
    Effect.flatMap(Http.rotate, (s) => HttpServerResponse.json({ id: s.sessionId }))
  ),
  HttpRouter.get("/stats", stats),
  // The seed's endpoints: unauthenticated, as there (a real app would guard them)
  HttpRouter.get("/killSession/:sessionId", killSession),
  HttpRouter.get("/killUser/:userId", killUser),
  Http.middleware
)
