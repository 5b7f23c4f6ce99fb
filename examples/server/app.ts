/**
 * The example's routes: the seed's express example (`/login?userName=...`, `/killSession/:sessionId`,
 * `/killUser/:userId`) plus `/me`, `/sessions`, `/logout`, `/logout-others`, `/rotate`, `/stats` and
 * a small page at `/`, on `HttpRouter` behind `Http.middleware`.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
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

/** The page's inline script and style, allowed by hash: the policy allows nothing else. */
const hashOf = (tag: string) => {
  const inline = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page)?.[1] ?? ""
  return `'sha256-${createHash("sha256").update(inline).digest("base64")}'`
}

/** The Content-Security-Policy of every response. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${hashOf("script")}`,
  `style-src ${hashOf("style")}`,
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'"
].join("; ")

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

/** Security headers on every response, errors included. */
const withSecurityHeaders = HttpMiddleware.make((app) =>
  Effect.zipRight(
    HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(HttpServerResponse.setHeaders(response, securityHeaders))
    ),
    app
  )
)

/** The host of an `Origin` header; undefined for `null` or anything unreadable. */
const hostOf = (origin: string): string | undefined => {
  try {
    return new URL(origin).host
  } catch {
    return undefined
  }
}

/**
 * State-changing requests from another site are refused (403): a POST whose `Origin` is not this
 * server's, or that the browser marks `Sec-Fetch-Site: cross-site`. SameSite=Lax alone lets a
 * top-level cross-site POST carry the cookie in some browsers; this does not depend on it.
 */
const sameOriginPosts = HttpMiddleware.make((app) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    if (request.method !== "POST") return app
    const origin = request.headers.origin
    const crossSite = request.headers["sec-fetch-site"] === "cross-site" ||
      (origin !== undefined && hostOf(origin) !== request.headers.host)
    return crossSite
      ? Effect.succeed(HttpServerResponse.unsafeJson({ error: "cross-site request refused" }, { status: 403 }))
      : app
  })
)

/**
 * The routes, behind the session middleware. `seedRoutes` adds the seed's own unauthenticated GET
 * endpoints (`/login?userName=`, `/killSession/:id`, `/killUser/:id`): for parity and development
 * only, since anyone who can reach them can end anyone's sessions.
 */
export const makeApp = (options: { readonly seedRoutes: boolean }) => {
  const routes = HttpRouter.empty.pipe(
    HttpRouter.get("/", Effect.succeed(HttpServerResponse.html(page))),
    HttpRouter.post("/login", login),
    HttpRouter.get("/me", me),
    HttpRouter.get("/sessions", sessions),
    HttpRouter.post("/sessions/:id/end", endSession),
    HttpRouter.post("/logout", Effect.as(Http.logout, HttpServerResponse.empty({ status: 204 }))),
    HttpRouter.post(
      "/logout-others",
      Effect.flatMap(Http.logoutOthers, (killed) => HttpServerResponse.json({ killed }))
    ),
    HttpRouter.post("/rotate", Effect.flatMap(Http.rotate, (s) => HttpServerResponse.json({ id: s.sessionId }))),
    HttpRouter.get("/stats", stats)
  )
  const all = options.seedRoutes
    ? routes.pipe(
      HttpRouter.get("/login", login),
      HttpRouter.get("/killSession/:sessionId", killSession),
      HttpRouter.get("/killUser/:userId", killUser)
    )
    : routes
  return all.pipe(Http.middleware, sameOriginPosts, withSecurityHeaders)
}

/** The app with the seed's endpoints (the example's default on a loopback address). */
export const app = makeApp({ seedRoutes: true })
