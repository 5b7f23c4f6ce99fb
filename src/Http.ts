/**
 * Sessions over HTTP with `@effect/platform` (an optional peer dependency: only this module imports
 * it). A middleware for `HttpRouter` / `HttpApp` apps and an `HttpApiMiddleware` for `HttpApi` apps
 * read the session token from a cookie (or an `Authorization: Bearer` header), load the session
 * through the `SessionManager` (touching it) and provide it as `CurrentSession`. Helpers log in
 * (create a session and set the cookie), log out (kill it and expire the cookie), rotate the id on
 * privilege change and log out the user's other devices.
 *
 * Cookies follow the OWASP session management cheat sheet: `HttpOnly`, `Secure`, `SameSite=Lax`,
 * `Path=/`, no `Domain`, optionally the `__Host-` prefix, and `Cache-Control: no-store` on every
 * response that sets or clears the cookie.
 *
 * @example
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 * import * as Http from "effect-redisess/Http"
 *
 * const app = HttpRouter.empty.pipe(
 *   HttpRouter.post("/login", Effect.as(Http.login("alice"), HttpServerResponse.empty())),
 *   HttpRouter.get("/me", Effect.flatMap(Http.requireSession, (s) => HttpServerResponse.json({ user: s.userId }))),
 *   Http.middleware
 * ) // needs SessionManager and Http.SessionCookie (Http.layer({ ... }))
 *
 * @since 0.1.0
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { DecodeError, RedisError } from "./Errors.js"
import { ValidationError } from "./Errors.js"
import * as Durations from "./internal/duration.js"
import * as Token from "./internal/httpToken.js"
import type { SessionToken } from "./Schema.js"
import type { NewSession, Session } from "./Session.js"
import { idOf } from "./Session.js"
import { SessionManager } from "./SessionManager.js"
import type { AnyFields, CreateOptions, SessionManagerService } from "./SessionManager.js"

/**
 * The session of the current request: `Some` when it carried the token of a live session, `None`
 * when the token was missing, malformed, unknown or expired. Provided by {@link middleware} and by
 * {@link layerApiMiddleware}'s middleware.
 *
 * @since 0.1.0
 */
export class CurrentSession extends Context.Tag("effect-redisess/Http/CurrentSession")<
  CurrentSession,
  Option.Option<Session>
>() {}

/**
 * No valid session: answered with status 401, by an `HttpRouter` app (the error is
 * `HttpServerRespondable`) and by an `HttpApi` (its schema is annotated with the status).
 *
 * @since 0.1.0
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("effect-redisess/Http/Unauthorized")(
  "Unauthorized",
  {},
  HttpApiSchema.annotations({ status: 401, description: "No valid session" })
) implements HttpServerRespondable.Respondable {
  override get message(): string {
    return "No valid session"
  }
  /** The 401 response an `HttpRouter` app sends for this error. */
  [HttpServerRespondable.symbol](): Effect.Effect<HttpServerResponse.HttpServerResponse> {
    return Effect.succeed(
      HttpServerResponse.unsafeJson({ _tag: "Unauthorized", message: this.message }, { status: 401 })
    )
  }
}

/**
 * Options of the session cookie (see {@link layer}).
 *
 * @since 0.1.0
 */
export interface CookieOptions {
  /** The cookie's name, before any `__Host-` prefix. Default `"session"`. */
  readonly name?: string
  /**
   * Prefix the name with `__Host-`: browsers then accept the cookie only when it is `Secure`, has
   * `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite it. Default: true
   * whenever the cookie is `Secure` with `Path=/` and no `Domain`.
   */
  readonly hostPrefix?: boolean
  /**
   * Mark the cookie `Secure` (sent over https only). Default true. Turn it off only for development
   * over plain http; a warning is logged when the layer is built with it off.
   */
  readonly secure?: boolean
  /** `SameSite`: `"lax"` (default), `"strict"`, or `"none"` (cross-site; needs `secure`). */
  readonly sameSite?: "lax" | "strict" | "none"
  /**
   * A `Max-Age` for the cookie, renewed on every request that carries it to a live session (so the
   * browser keeps it as long as the session slides). Default none: the cookie lasts until the
   * browser closes, and the session's own ttl on the server decides how long it is valid.
   */
  readonly maxAge?: Durations.Input
  /** A `Domain` (the cookie then reaches its subdomains; no `__Host-` prefix). Default none. */
  readonly domain?: string
  /** A `Path`. Default `/`. */
  readonly path?: string
  /** `Partitioned` (CHIPS: a third-party cookie kept per top-level site; needs `secure`). Default false. */
  readonly partitioned?: boolean
  /** Also accept the token from an `Authorization: Bearer` header when no cookie is sent. Default true. */
  readonly bearer?: boolean
}

/**
 * The resolved settings of the session cookie.
 *
 * @since 0.1.0
 */
export interface SessionCookieConfig {
  /** The full cookie name (with the `__Host-` prefix when asked for). */
  readonly name: string
  readonly secure: boolean
  readonly sameSite: "lax" | "strict" | "none"
  readonly maxAge: Option.Option<Duration.Duration>
  readonly domain: Option.Option<string>
  readonly path: string
  readonly partitioned: boolean
  readonly bearer: boolean
}

/**
 * The session cookie settings, as a service (provide it with {@link layer}).
 *
 * @since 0.1.0
 */
export class SessionCookie extends Context.Tag("effect-redisess/Http/SessionCookie")<
  SessionCookie,
  SessionCookieConfig
>() {}

/**
 * The default cookie name (before the `__Host-` prefix a secure cookie gets by default).
 *
 * @since 0.1.0
 */
export const defaultCookieName = "session"

const invalid = (message: string) => Effect.fail(new ValidationError({ message }))

/**
 * Validates cookie options: a cookie name must be an HTTP token; `__Host-` needs `Secure`, `Path=/`
 * and no `Domain`; `SameSite=None` and `Partitioned` need `Secure`.
 *
 * @since 0.1.0
 */
export const makeConfig = (options: CookieOptions = {}): Effect.Effect<SessionCookieConfig, ValidationError> => {
  const base = options.name ?? defaultCookieName
  const secure = options.secure ?? true
  const path = options.path ?? "/"
  const domain = options.domain
  const hostPrefix = options.hostPrefix ?? (secure && path === "/" && domain === undefined)
  const name = hostPrefix ? `__Host-${base}` : base
  if (!Token.isCookieName(base) || !Token.isCookieName(name)) {
    return invalid(`Invalid cookie name ${JSON.stringify(base)}`)
  }
  if (name.startsWith("__Secure-") && !secure) return invalid("A __Secure- cookie must be Secure")
  if (name.startsWith("__Host-") && (!secure || path !== "/" || domain !== undefined)) {
    return invalid("A __Host- cookie must be Secure, with Path=/ and no Domain; browsers drop it otherwise")
  }
  const sameSite = options.sameSite ?? "lax"
  if (sameSite !== "lax" && sameSite !== "strict" && sameSite !== "none") {
    return invalid(`Invalid sameSite ${JSON.stringify(sameSite)}`)
  }
  if (sameSite === "none" && !secure) {
    return invalid("A SameSite=None cookie must be Secure; browsers drop it otherwise")
  }
  if (options.partitioned === true && !secure) return invalid("A Partitioned cookie must be Secure")
  if (!path.startsWith("/") || /[;\s]/.test(path)) return invalid(`Invalid cookie path ${JSON.stringify(path)}`)
  if (domain !== undefined && !/^\.?[A-Za-z0-9.-]+$/.test(domain)) {
    return invalid(`Invalid cookie domain ${JSON.stringify(domain)}`)
  }
  const maxAge = options.maxAge === undefined ? Option.none() : Durations.decode(options.maxAge)
  if (options.maxAge !== undefined && Option.isNone(maxAge)) {
    return invalid(`Invalid maxAge: ${String(options.maxAge)} is not a duration (seconds, a Duration or "1 hour")`)
  }
  return Effect.succeed({
    name,
    secure,
    sameSite,
    maxAge,
    domain: Option.fromNullable(domain),
    path,
    partitioned: options.partitioned ?? false,
    bearer: options.bearer ?? true
  })
}

/**
 * Provides the session cookie settings. Logs a warning when `secure` is off.
 *
 * @example
 * import * as Http from "effect-redisess/Http"
 * const CookieLive = Http.layer() // __Host-session; HttpOnly; Secure; SameSite=Lax; Path=/
 *
 * @since 0.1.0
 */
export const layer = (options: CookieOptions = {}): Layer.Layer<SessionCookie, ValidationError> =>
  Layer.effect(
    SessionCookie,
    Effect.tap(makeConfig(options), (config) =>
      config.secure ? Effect.void : Effect.logWarning(
        `SESSION COOKIES ARE NOT SECURE: the "${config.name}" cookie is sent over plain http, where anyone ` +
          "on the network can read it and take over the session. Use secure: false only for local " +
          "development over http://localhost, never in production."
      ).pipe(Effect.annotateLogs({ package: "effect-redisess" })))
  )

/**
 * The session token the request carries: the session cookie when present, else (when enabled) an
 * `Authorization: Bearer` token. `None` when there is none or it is malformed (empty, too long,
 * characters outside the token alphabet): such tokens never reach the `SessionManager`.
 *
 * @since 0.1.0
 */
export const requestToken: Effect.Effect<
  Option.Option<Redacted.Redacted<SessionToken>>,
  never,
  HttpServerRequest.HttpServerRequest | SessionCookie
> = Effect.map(
  Effect.all([HttpServerRequest.HttpServerRequest, SessionCookie]),
  ([request, config]) =>
    Token.parse(
      request.cookies[config.name] ?? (config.bearer ? Token.bearer(request.headers.authorization) : undefined)
    )
)

/** A tag of a `SessionManager` service: the library's own, or an app's typed with its fields. */
type ManagerTag<I, A> = Context.Tag<I, SessionManagerService<A>>

const loadSessionWith = <I, A>(tag: ManagerTag<I, A>) =>
(
  token: Option.Option<Redacted.Redacted<string>>
): Effect.Effect<Option.Option<Session<A>>, RedisError, I> =>
  Option.match(Option.flatMap(token, (t) => Token.parse(Redacted.value(t))), {
    onNone: () => Effect.succeedNone,
    onSome: (token) =>
      Effect.flatMap(tag, (sm) => sm.get(token)).pipe(
        Effect.asSome,
        Effect.catchTags({
          SessionNotFound: () => Effect.succeedNone,
          ValidationError: () => Effect.succeedNone,
          DecodeError: (error: DecodeError) =>
            Effect.as(
              Effect.logWarning(
                `a session's stored ${error.source} ${error.key} does not decode; treating it as no session`
              ),
              Option.none()
            )
        })
      )
  })

/**
 * Loads the session a token names, touching it. `None` for no token, a malformed one, or one of no
 * live session (including a session whose stored fields no longer decode, which is logged). Fails
 * only when Redis does.
 *
 * @since 0.1.0
 */
export const loadSession: (
  token: Option.Option<Redacted.Redacted<string>>
) => Effect.Effect<Option.Option<Session>, RedisError, SessionManager> = loadSessionWith(SessionManager)

/**
 * The session of the current request, read and loaded (touched) as {@link middleware} does it.
 *
 * @since 0.1.0
 */
export const sessionFromRequest: Effect.Effect<
  Option.Option<Session>,
  RedisError,
  HttpServerRequest.HttpServerRequest | SessionCookie | SessionManager
> = Effect.flatMap(requestToken, loadSession)

/** The session of a request when the store fails: the error, or (lenient) none, logged. */
const onStoreFailure =
  (lenient: boolean) =>
  <A, R>(load: Effect.Effect<Option.Option<A>, RedisError, R>): Effect.Effect<Option.Option<A>, RedisError, R> =>
    lenient
      ? Effect.catchTag(load, "RedisError", (error) =>
        Effect.as(
          Effect.logWarning(`the session store failed (${error.message}); the request goes on without a session`),
          Option.none()
        ))
      : load

const middlewareWith = <I, A>(tag: ManagerTag<I, A>, lenient = false) =>
  HttpMiddleware.make(<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<
    E | RedisError,
    Exclude<R, CurrentSession> | HttpServerRequest.HttpServerRequest | SessionCookie | I
  > =>
    Effect.flatMap(
      Effect.all([requestToken, SessionCookie, HttpServerRequest.HttpServerRequest]),
      ([token, config, request]) =>
        Effect.flatMap(onStoreFailure(lenient)(loadSessionWith(tag)(token)), (session) => {
          // a cookie with a Max-Age is sent again with each request it authenticates, so it slides as the session does
          const cookie = request.cookies[config.name]
          const renew = Option.isSome(session) && Option.isSome(config.maxAge) && cookie !== undefined
            ? setSessionCookie(cookie)
            : Effect.void
          return Effect.zipRight(renew, Effect.provideService(app, CurrentSession, session as Option.Option<Session>))
        })
    )
  )

/**
 * Middleware for `HttpRouter` / `HttpApp` apps: provides `CurrentSession` to the app. A request
 * without a valid token gets `None` (use {@link requireSession} to answer 401). Fails with the
 * `RedisError` (a 500) when Redis does.
 *
 * @example
 * import { HttpRouter, HttpServer } from "@effect/platform"
 * import * as Http from "effect-redisess/Http"
 * declare const router: HttpRouter.HttpRouter<never, Http.CurrentSession>
 * const served = router.pipe(Http.middleware, HttpServer.serve())
 *
 * @since 0.1.0
 */
export const middleware = middlewareWith(SessionManager)

/**
 * {@link middleware} for routes that must answer while the session store is down (a public page,
 * a health check): a store failure is logged and the request goes on with no session, where the
 * plain middleware fails it (a 500). Apply it to those routes only: behind it, a signed-in user
 * looks signed out during an outage.
 *
 * @since 0.2.0
 */
export const lenientMiddleware = middlewareWith(SessionManager, true)

/**
 * The current session, or `Unauthorized` (a 401) when the request has none.
 *
 * @since 0.1.0
 */
export const requireSession: Effect.Effect<Session, Unauthorized, CurrentSession> = Effect.flatMap(
  CurrentSession,
  Option.match({ onNone: () => Effect.fail(new Unauthorized()), onSome: Effect.succeed })
)

const cookieAttributes = (config: SessionCookieConfig) => ({
  httpOnly: true,
  secure: config.secure,
  sameSite: config.sameSite,
  path: config.path,
  ...Option.match(config.domain, { onNone: () => ({}), onSome: (domain) => ({ domain }) }),
  ...(config.partitioned ? { partitioned: true } : {})
})

const noStore = HttpServerResponse.setHeader("cache-control", "no-store")

/**
 * Sets the session cookie (and `Cache-Control: no-store`) on the response of the current request.
 * The value is the token, taken out of its `Redacted` only here.
 *
 * @since 0.1.0
 */
export const setSessionCookie = (
  token: Redacted.Redacted<string> | string
): Effect.Effect<void, never, SessionCookie> =>
  Effect.flatMap(
    SessionCookie,
    (config) =>
      HttpApp.appendPreResponseHandler((_request, response) =>
        HttpServerResponse.setCookie(response, config.name, typeof token === "string" ? token : Redacted.value(token), {
          ...cookieAttributes(config),
          ...Option.match(config.maxAge, { onNone: () => ({}), onSome: (maxAge) => ({ maxAge }) })
        }).pipe(Effect.map(noStore), Effect.orDie)
      )
  )

/**
 * Expires the session cookie (`Max-Age=0`, same attributes, `Cache-Control: no-store`) on the
 * response of the current request.
 *
 * @since 0.1.0
 */
export const clearSessionCookie: Effect.Effect<void, never, SessionCookie> = Effect.flatMap(
  SessionCookie,
  (config) =>
    HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(noStore(HttpServerResponse.expireCookie(response, config.name, cookieAttributes(config))))
    )
)

type CreateError = Effect.Effect.Error<ReturnType<SessionManagerService["create"]>>

const loginWith = <I, A>(tag: ManagerTag<I, A>) =>
(
  userId: string,
  options?: CreateOptions<A>
): Effect.Effect<
  NewSession<A>,
  Effect.Effect.Error<ReturnType<SessionManagerService<A>["create"]>>,
  I | SessionCookie | HttpServerRequest.HttpServerRequest
> =>
  Effect.gen(function*() {
    const sm = yield* tag
    const previous = yield* requestToken
    if (Option.isSome(previous)) {
      yield* sm.kill(idOf(Redacted.value(previous.value))).pipe(Effect.catchTag("ValidationError", () => Effect.void))
    }
    const session = yield* sm.create(userId, options)
    yield* setSessionCookie(session.token)
    return session
  })

/**
 * Logs a user in: creates a session and sets its token as the cookie on the response. A session the
 * request already carried is killed first, so a browser never keeps a token from before login.
 *
 * @example
 * import { Effect } from "effect"
 * import * as Http from "effect-redisess/Http"
 * const handler = Effect.map(Http.login("alice", { ttl: 3600 }), (session) => session.userId)
 *
 * @since 0.1.0
 */
export const login: (
  userId: string,
  options?: CreateOptions<AnyFields>
) => Effect.Effect<NewSession, CreateError, SessionManager | SessionCookie | HttpServerRequest.HttpServerRequest> =
  loginWith(SessionManager)

const logoutWith = <I, A>(tag: ManagerTag<I, A>): Effect.Effect<void, RedisError, I | SessionCookie | CurrentSession> =>
  Effect.gen(function*() {
    const current = yield* CurrentSession
    if (Option.isSome(current)) {
      const sm = yield* tag
      yield* sm.kill(current.value.sessionId).pipe(Effect.catchTag("ValidationError", () => Effect.void))
    }
    yield* clearSessionCookie
  })

/**
 * Logs out: kills the current session (if any) and expires the cookie.
 *
 * @since 0.1.0
 */
export const logout: Effect.Effect<void, RedisError, SessionManager | SessionCookie | CurrentSession> = logoutWith(
  SessionManager
)

const rotateWith = <I, A>(tag: ManagerTag<I, A>): Effect.Effect<
  NewSession<A>,
  Unauthorized | RedisError | DecodeError,
  I | SessionCookie | CurrentSession | HttpServerRequest.HttpServerRequest
> =>
  Effect.gen(function*() {
    yield* requireSession
    const token = yield* requestToken
    if (Option.isNone(token)) return yield* Effect.fail(new Unauthorized())
    const sm = yield* tag
    const rotated = yield* sm.rotate(token.value).pipe(
      Effect.catchTags({
        SessionNotFound: () => Effect.fail(new Unauthorized()),
        ValidationError: () => Effect.fail(new Unauthorized())
      })
    )
    yield* setSessionCookie(rotated.token)
    return rotated
  })

/**
 * Gives the current session a new token and id and sets the new cookie (call it on privilege
 * change, e.g. after re-authentication or a role change). The old token is dead at once. Returns
 * the session under its new id (`CurrentSession` still holds the old value for the rest of the
 * request).
 *
 * @since 0.1.0
 */
export const rotate: Effect.Effect<
  NewSession,
  Unauthorized | RedisError | DecodeError,
  SessionManager | SessionCookie | CurrentSession | HttpServerRequest.HttpServerRequest
> = rotateWith(SessionManager)

const logoutOthersWith = <I, A>(tag: ManagerTag<I, A>): Effect.Effect<
  number,
  Unauthorized | RedisError,
  I | CurrentSession
> =>
  Effect.gen(function*() {
    const current = yield* requireSession
    const sm = yield* tag
    return yield* sm.killOtherSessions(current.sessionId).pipe(
      Effect.catchTags({
        SessionNotFound: () => Effect.fail(new Unauthorized()),
        ValidationError: () => Effect.fail(new Unauthorized())
      })
    )
  })

/**
 * Logs the current user out of every other device: kills all their sessions but the current one.
 * Returns how many were killed.
 *
 * @since 0.1.0
 */
export const logoutOthers: Effect.Effect<number, Unauthorized | RedisError, SessionManager | CurrentSession> =
  logoutOthersWith(SessionManager)

/**
 * Declares an `HttpApiMiddleware` tag that authenticates as {@link middleware} does: the session
 * cookie, or an `Authorization: Bearer` token when no cookie is sent. It `provides`
 * `CurrentSession` (always `Some`: handlers take the session with {@link requireSession}, whose
 * `Unauthorized` the middleware already declares), fails with {@link Unauthorized} (401), and
 * documents both as security schemes. Implement it with {@link layerApiMiddleware}.
 *
 * @example
 * import * as Http from "effect-redisess/Http"
 * class Authentication extends Http.ApiMiddleware<Authentication>()("app/Authentication", { cookieName: "sid" }) {}
 *
 * @since 0.1.0
 */
export const ApiMiddleware =
  <Self>() => <const Name extends string>(id: Name, options: { readonly cookieName?: string } = {}) =>
    HttpApiMiddleware.Tag<Self>()(id, {
      provides: CurrentSession,
      failure: Unauthorized,
      security: {
        cookie: HttpApiSecurity.apiKey({ in: "cookie", key: options.cookieName ?? `__Host-${defaultCookieName}` }),
        bearer: HttpApiSecurity.bearer
      }
    })

/**
 * A ready-made {@link ApiMiddleware} on the default cookie name (`"__Host-session"`).
 *
 * @since 0.1.0
 */
export class SessionAuth extends ApiMiddleware<SessionAuth>()("effect-redisess/Http/SessionAuth") {}

/**
 * The shape of a tag made by {@link ApiMiddleware}.
 *
 * @since 0.1.0
 */
export interface ApiMiddlewareTag<Self> extends
  Context.Tag<Self, {
    readonly cookie: (
      token: Redacted.Redacted<string>
    ) => Effect.Effect<Option.Option<Session>, Unauthorized, HttpRouter.HttpRouter.Provided>
    readonly bearer: (
      token: Redacted.Redacted<string>
    ) => Effect.Effect<Option.Option<Session>, Unauthorized, HttpRouter.HttpRouter.Provided>
  }>
{
  readonly security: { readonly cookie: HttpApiSecurity.ApiKey; readonly bearer: HttpApiSecurity.Bearer }
}

const layerApiMiddlewareWith =
  <I, A>(manager: ManagerTag<I, A>) =>
  <Self>(tag: ApiMiddlewareTag<Self>): Layer.Layer<Self, never, I | SessionCookie> =>
    Layer.effect(
      tag,
      Effect.gen(function*() {
        const sm = yield* manager
        const config = yield* SessionCookie
        if (tag.security.cookie.key !== config.name) {
          return yield* Effect.dieMessage(
            `${tag.key} reads the cookie "${tag.security.cookie.key}" but the session cookie is "${config.name}"`
          )
        }
        const authenticate = (token: Redacted.Redacted<string>) =>
          loadSessionWith(manager)(Option.some(token)).pipe(
            Effect.provideService(manager, sm),
            Effect.orDie,
            Effect.filterOrFail(Option.isSome, () => new Unauthorized()),
            Effect.map((session) => session as Option.Option<Session>)
          )
        return {
          cookie: authenticate,
          // as the router middleware: a Bearer token counts only when no session cookie is sent
          bearer: (token) =>
            Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
              !config.bearer || request.cookies[config.name] !== undefined
                ? Effect.fail(new Unauthorized())
                : authenticate(token))
        }
      })
    )

/**
 * Implements an {@link ApiMiddleware} tag: validates the cookie's (or, without a cookie, the Bearer)
 * token, loads (touches) its session, and fails with `Unauthorized` when there is none. A `RedisError` is a defect (a 500).
 * Dies at build time when the tag's cookie name differs from the `SessionCookie` settings.
 *
 * @example
 * import { Layer } from "effect"
 * import * as Http from "effect-redisess/Http"
 * const AuthLive = Http.layerApiMiddleware(Http.SessionAuth).pipe(Layer.provide(Http.layer()))
 *
 * @since 0.1.0
 */
export const layerApiMiddleware: <Self>(
  tag: ApiMiddlewareTag<Self>
) => Layer.Layer<Self, never, SessionManager | SessionCookie> = layerApiMiddlewareWith(SessionManager)

/**
 * The HTTP helpers typed by an app's own manager tag (see {@link forManager}): the same as this
 * module's, with the app's fields in every session they give or take.
 *
 * @since 0.2.0
 */
export interface TypedHttp<I, A> {
  /** Provides `CurrentSession`, loading the session through the app's manager. */
  readonly middleware: ReturnType<typeof middlewareWith<I, A>>
  /** {@link lenientMiddleware} on the app's manager. */
  readonly lenientMiddleware: ReturnType<typeof middlewareWith<I, A>>
  /** The current session, typed; `None` when the request has none. */
  readonly currentSession: Effect.Effect<Option.Option<Session<A>>, never, CurrentSession>
  /** The current session, typed, or `Unauthorized` (a 401). */
  readonly requireSession: Effect.Effect<Session<A>, Unauthorized, CurrentSession>
  /** {@link login} with the app's fields checked. */
  readonly login: ReturnType<typeof loginWith<I, A>>
  readonly logout: Effect.Effect<void, RedisError, I | SessionCookie | CurrentSession>
  readonly rotate: ReturnType<typeof rotateWith<I, A>>
  readonly logoutOthers: Effect.Effect<number, Unauthorized | RedisError, I | CurrentSession>
  /** Implements an {@link ApiMiddleware} tag on the app's manager. */
  readonly layerApiMiddleware: <Self>(tag: ApiMiddlewareTag<Self>) => Layer.Layer<Self, never, I | SessionCookie>
}

/**
 * The HTTP helpers on an app's own, typed manager tag: the session a handler gets and the fields
 * `login` takes are the app's, with no cast. The middleware provides the same `CurrentSession`
 * as this module's, so both kinds of helper work together.
 *
 * @example
 * import { Context, Schema } from "effect"
 * import { SessionManager } from "effect-redisess"
 * import * as Http from "effect-redisess/Http"
 * const fields = { groupId: Schema.Number }
 * class Sessions extends Context.Tag("app/Sessions")<
 *   Sessions,
 *   SessionManager.SessionManagerService<Schema.Struct.Type<typeof fields>>
 * >() {}
 * const SessionsHttp = Http.forManager(Sessions)
 * // SessionsHttp.requireSession: Effect<Session<{ readonly groupId: number }>, Unauthorized, CurrentSession>
 *
 * @since 0.2.0
 */
export const forManager = <I, A>(tag: ManagerTag<I, A>): TypedHttp<I, A> => ({
  middleware: middlewareWith(tag),
  lenientMiddleware: middlewareWith(tag, true),
  // the middleware of this kit loaded the session through `tag`, so it has the app's fields
  currentSession: CurrentSession as unknown as Effect.Effect<Option.Option<Session<A>>, never, CurrentSession>,
  requireSession: requireSession as unknown as Effect.Effect<Session<A>, Unauthorized, CurrentSession>,
  login: loginWith(tag),
  logout: logoutWith(tag),
  rotate: rotateWith(tag),
  logoutOthers: logoutOthersWith(tag),
  layerApiMiddleware: layerApiMiddlewareWith(tag)
})
