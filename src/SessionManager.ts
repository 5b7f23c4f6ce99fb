/**
 * The session manager: every operation of redisess as an Effect program over a `RedisClient`.
 * `make` builds one in a scope (its wipe fiber lives in that scope); `layer` provides it as the
 * `SessionManager` service.
 *
 * @example
 * import { Effect, Layer, Schema } from "effect"
 * import { RedisLayer, SessionManager } from "effect-redisess"
 *
 * const Sessions = SessionManager.layer({ namespace: "myapp", ttl: 120 }).pipe(
 *   Layer.provide(RedisLayer.layerMemory)
 * )
 * const program = Effect.gen(function*() {
 *   const manager = yield* SessionManager.SessionManager
 *   const session = yield* manager.create("alice")
 *   return yield* manager.count()
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Sessions))) // 1
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { RedisError } from "./Errors.js"
import { DataTooLarge, DecodeError, SessionLimitReached, SessionNotFound, ValidationError } from "./Errors.js"
import * as Batched from "./internal/batched.js"
import * as DataOps from "./internal/dataOps.js"
import type { DataOps as DataOpsShape, TypedData } from "./internal/dataOps.js"
import type * as Durations from "./internal/duration.js"
import * as Ids from "./internal/ids.js"
import * as Spans from "./internal/spans.js"
import * as Validate from "./internal/validate.js"
import * as S from "./Schema.js"
import type { AnyFields, NewSession, Session, TokenInput } from "./Session.js"
import * as SessionData from "./SessionData.js"
import { RedisClient } from "./SessionStore.js"
import type * as Store from "./SessionStore.js"
import type { SessionRead } from "./SessionStore.js"

/**
 * The free-form session-data operations, and the typed accessor made from schemas.
 *
 * @since 0.1.0
 */
export type { DataOps, DataReadError, DataWriteError, TypedData } from "./internal/dataOps.js"

/**
 * The type of additional fields when they are not declared with schemas.
 *
 * @since 0.1.0
 */
export type { AnyFields } from "./Session.js"

/**
 * Schemas of additional fields: a `Schema.Struct`'s fields, needing no services.
 *
 * @since 0.1.0
 */
export type FieldSchemas = Schema.Struct.Fields

/**
 * No additional fields (the default).
 *
 * @since 0.1.0
 */
export type NoFields = Record<never, never>

/**
 * Options of {@link make} and {@link layer}.
 *
 * @since 0.1.0
 */
export interface Options<F extends FieldSchemas = NoFields> {
  /** Keeps this manager's keys apart from other apps' on the same Redis. */
  readonly namespace: string
  /** Default idle time-to-live: seconds or a `Duration`; `0` = never expires. Default 30 minutes. */
  readonly ttl?: Durations.Input
  /**
   * `get` touches a session at most once per this interval (seconds or a `Duration`; default 0:
   * every time): a read within it writes nothing. Last access then lags by up to the interval, so
   * a session may expire up to that much earlier than a ttl after its last read, and activity
   * windows see it as that much older. `touch` always touches.
   */
  readonly touchInterval?: Durations.Input
  /** How often expired sessions are wiped: seconds or a `Duration`; `0` = never. Default 60 seconds. */
  readonly wipeInterval?: Durations.Input
  /**
   * Absolute lifetime: a session ends at `createdAt + maxLifetime` however active it is (seconds or
   * a `Duration`; `0` = no limit, the default). Sessions may override it at creation.
   */
  readonly maxLifetime?: Durations.Input
  /**
   * How many Redis Cluster hash slots the namespace is spread over (1 to 1024, default 1). Each
   * user, with all their sessions and their slice of the indexes, lives in one slot, so every
   * per-session and per-user operation stays one atomic script; namespace-wide queries fan out
   * over the shards. On a single server keep 1; on a Cluster, 8 times the number of masters
   * (24 for 3 masters), so that every master gets as many shards. A namespace keeps the count it was started with: a manager
   * started with another one fails with a `ValidationError` rather than split the data.
   */
  readonly shards?: number
  /** The most live sessions one user may have (a positive integer); no limit when absent. */
  readonly maxSessionsPerUser?: number
  /**
   * What `create` does when the user is at `maxSessionsPerUser`: `"evict-oldest"` (default) kills
   * the user's least recently active session(s) in the same atomic step; `"refuse"` fails with
   * `SessionLimitReached`.
   */
  readonly sessionLimitPolicy?: "evict-oldest" | "refuse"
  /** The largest encoded session-data value, bytes. Default 256 KiB. */
  readonly maxDataValueBytes?: number
  /** The most session data (encoded keys and values) one session may hold, bytes. Default 1 MiB. */
  readonly maxDataBytes?: number
  /**
   * The most data keys one session may hold. Default 1,000: reading all of a session's data is one
   * Redis command, which this keeps short.
   */
  readonly maxDataKeys?: number
  /**
   * The largest encoded (JSON) value of one additional field, bytes. Default 4 KiB: fields are read
   * on every `get`. A larger value is refused with `DataTooLarge` (`scope: "field"`), nothing written.
   */
  readonly maxFieldBytes?: number
  /**
   * Additional fields stored with each session, declared with schemas so that they are validated on
   * the way in and come back typed, e.g. `{ groupId: Schema.Number, peerIp: Schema.optional(Schema.String) }`.
   */
  readonly additionalFields?: F & (Schema.Struct.Context<F> extends never ? unknown : "fields must need no services")
  /**
   * Runs every call in a tracing span (`SessionManager.get`, `SessionManager.data.set`, ...) for the
   * app's tracer (OpenTelemetry through `@effect/opentelemetry`, say), the wipe fiber's wipes too.
   * Off by default: a span costs Node more than the call it wraps ([docs/tracing.md](docs/tracing.md)).
   */
  readonly spans?: boolean
}

/**
 * Options of `create`.
 *
 * @since 0.1.0
 */
export interface CreateOptions<A> {
  /** This session's ttl (seconds or a `Duration`; `0` = never expires) instead of the default. */
  readonly ttl?: Durations.Input
  /** This session's absolute lifetime (seconds or a `Duration`; `0` = none) instead of the default. */
  readonly maxLifetime?: Durations.Input
  /** Values of the additional fields. */
  readonly fields?: A
}

/**
 * Options of `get` and `getOldestUserSession`.
 *
 * @since 0.1.0
 */
export interface GetOptions {
  /** Read without updating the last access (the session's expiry does not slide). Default false. */
  readonly noUpdate?: boolean
}

/**
 * The session manager's operations. Windows (`secs`) are in seconds: "accessed within the last
 * `secs` seconds"; `0` or absent means all. Lists are ordered by last access, oldest first.
 *
 * @since 0.1.0
 */
export interface SessionManagerService<A = AnyFields> extends DataOpsShape {
  readonly namespace: string
  /** The default ttl, seconds. */
  readonly ttl: number
  /** The store's time (the Redis server's clock), unix seconds. */
  readonly now: Effect.Effect<number, RedisError>
  /**
   * Creates a session for a user and hands out its token, this once (`Redacted`: it prints as
   * `<redacted>`; give its value to the client). With `maxSessionsPerUser`, the limit is enforced
   * in the same step (evicting the least recently active, or failing with `SessionLimitReached`).
   */
  readonly create: (
    userId: string,
    options?: CreateOptions<A>
  ) => Effect.Effect<NewSession<A>, ValidationError | SessionLimitReached | RedisError | DataTooLarge>
  /** Authenticates: the live session of a token, its last access updated unless `noUpdate`. */
  readonly get: (
    token: TokenInput,
    options?: GetOptions
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /** Updates the last access of the live session of a token without reading it back. */
  readonly touch: (token: TokenInput) => Effect.Effect<void, SessionNotFound | ValidationError | RedisError>
  /** Whether a token belongs to a live session. */
  readonly exists: (token: TokenInput) => Effect.Effect<boolean, ValidationError | RedisError>
  /**
   * Gives the session of a token a new token and id (session fixation defence: call it on login
   * and privilege change). User, fields, data, creation time and index entries move with it; the
   * old token is dead in the same step, and a `kill` of the old id racing it still ends the
   * session. Returns the session under its new id, touched, with its new token.
   */
  readonly rotate: (
    token: TokenInput
  ) => Effect.Effect<NewSession<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /** Administers: a live session by id, without touching it (an id never authenticates). */
  readonly inspect: (
    sessionId: string
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /**
   * Kills every other session of this session's user ("log out other devices"); returns how many.
   * Works in bounded batches however many sessions the user has.
   */
  readonly killOtherSessions: (
    sessionId: string
  ) => Effect.Effect<number, SessionNotFound | ValidationError | RedisError>
  /** The user's least recently accessed live session, updated unless `noUpdate`. */
  readonly getOldestUserSession: (
    userId: string,
    options?: GetOptions
  ) => Effect.Effect<Option.Option<Session<A>>, ValidationError | RedisError | DecodeError>
  /** Writes the given additional fields of a live session, by id (its last access is unchanged). */
  readonly write: (
    sessionId: string,
    fields: Partial<A>
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError | DataTooLarge>
  /** Kills one session by id; succeeds when it is already gone. */
  readonly kill: (sessionId: string) => Effect.Effect<void, ValidationError | RedisError>
  /** Kills every session of a user; returns how many live sessions it ended. */
  readonly killUser: (userId: string) => Effect.Effect<number, ValidationError | RedisError>
  /** Kills every session of the namespace; returns how many live sessions it ended. */
  readonly killAll: Effect.Effect<number, RedisError>
  /** Number of live sessions accessed within the last `secs` seconds (all when 0 or absent). */
  readonly count: (secs?: number) => Effect.Effect<number, ValidationError | RedisError>
  /** Number of the user's live sessions accessed within the last `secs` seconds. */
  readonly countForUser: (userId: string, secs?: number) => Effect.Effect<number, ValidationError | RedisError>
  /** Ids of live sessions accessed within the last `secs` seconds. */
  readonly getAllSessions: (secs?: number) => Effect.Effect<ReadonlyArray<S.SessionId>, ValidationError | RedisError>
  /** Ids of users with a live session accessed within the last `secs` seconds. */
  readonly getAllUsers: (secs?: number) => Effect.Effect<ReadonlyArray<S.UserId>, ValidationError | RedisError>
  /** Ids of the user's live sessions accessed within the last `secs` seconds. */
  readonly getUserSessions: (
    userId: string,
    secs?: number
  ) => Effect.Effect<ReadonlyArray<S.SessionId>, ValidationError | RedisError>
  /**
   * Session data typed by schemas, one per key. Values are validated before anything is written;
   * stored values that no longer decode fail with a `DecodeError` naming the key.
   *
   * @example
   * const cart = sm.data({ items: Schema.Array(Schema.String), theme: Schema.Literal("dark", "light") })
   * yield* cart.set(token, { theme: "dark" })
   * const theme = yield* cart.get(token, "theme") // Option<"dark" | "light">
   */
  readonly data: <F extends FieldSchemas>(
    fields: F & (Schema.Struct.Context<F> extends never ? unknown : "data schemas must need no services")
  ) => TypedData<Schema.Struct.Type<F>>
  /** Removes expired sessions now; returns how many. The wipe fiber runs this every `wipeInterval`. */
  readonly wipe: Effect.Effect<number, RedisError>
}

/**
 * The `SessionManager` service tag. Its additional fields are typed loosely (`AnyFields`); for a
 * typed tag, declare your own: `class Sessions extends Context.Tag("app/Sessions")<Sessions,
 * SessionManagerService<MyFields>>() {}` and provide it with `Layer.scoped(Sessions, make(options))`.
 *
 * @since 0.1.0
 */
export class SessionManager extends Context.Tag("effect-redisess/SessionManager")<
  SessionManager,
  SessionManagerService
>() {}

const { validate } = Validate

const validWindow = validate(S.WindowSeconds, "window (seconds)")
const windowMillis = (secs: number | undefined) =>
  secs === undefined ? Effect.succeed(0) : Effect.map(validWindow(secs), (s) => Math.round(s * 1000))

/** JSON text of an encoded field value; refuses what JSON would silently change (NaN, Infinity, bigint). */
const toJson = (name: string, value: unknown): Either.Either<string, ValidationError> => {
  try {
    return Either.right(JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`${v} cannot be stored as JSON`)
      if (typeof v === "bigint") throw new Error("a bigint cannot be stored as JSON (use Schema.BigInt)")
      return v
    }))
  } catch (cause) {
    return Either.left(
      new ValidationError({
        message: `Invalid field ${name}: ${cause instanceof Error ? cause.message : cause}`,
        cause
      })
    )
  }
}

const firstPathKey = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return issue === undefined || issue.path.length === 0 ? "" : String(issue.path[0])
}

/**
 * Makes a session manager on the `RedisClient` in context. Its wipe fiber is forked into the
 * scope and interrupted when the scope closes.
 *
 * @since 0.1.0
 */
export const make = <F extends FieldSchemas = NoFields>(
  options: Options<F>
): Effect.Effect<
  SessionManagerService<Schema.Struct.Type<F>>,
  ValidationError | RedisError,
  RedisClient | Scope.Scope
> =>
  Effect.gen(function*() {
    type A = Schema.Struct.Type<F>
    const namespace = yield* validate(S.Namespace, "namespace")(options.namespace)
    const defaultTtl = yield* validate(S.Ttl, "ttl")(options.ttl ?? Duration.minutes(30))
    const wipeInterval = yield* validate(S.Interval, "wipeInterval")(options.wipeInterval ?? Duration.seconds(60))
    const touchAfter = Duration.toMillis(
      yield* validate(S.Interval, "touchInterval")(options.touchInterval ?? Duration.zero)
    )
    const validLifetime = validate(S.Ttl, "maxLifetime")
    const defaultLifetime = yield* validLifetime(options.maxLifetime ?? 0)
    const limit = options.maxSessionsPerUser === undefined ? undefined : {
      max: yield* validate(S.SessionLimit, "maxSessionsPerUser")(options.maxSessionsPerUser),
      policy: yield* validate(S.SessionLimitPolicy, "sessionLimitPolicy")(options.sessionLimitPolicy ?? "evict-oldest")
        .pipe(Effect.map((policy) => policy === "refuse" ? "refuse" as const : "evict" as const))
    }
    const fieldSchemas: FieldSchemas = options.additionalFields ?? {}
    for (const name of Object.keys(fieldSchemas)) yield* validate(S.FieldName, "additional field name")(name)
    // Context is excluded by the Options type; the schemas' R is never here.
    const fieldsSchema = Schema.Struct(fieldSchemas) as unknown as Schema.Schema<A, Record<string, unknown>>
    const encodeFields = Schema.encodeUnknownEither(fieldsSchema)
    const encodePartialFields = Schema.encodeUnknownEither(Schema.partialWith(fieldsSchema, { exact: true }))
    const decodeFields = Schema.decodeUnknownEither(fieldsSchema)
    const validTtl = validate(S.Ttl, "ttl")

    const validBytes = validate(Schema.Int.pipe(Schema.positive()), "data size limit")
    const dataLimits = {
      maxValueBytes: yield* validBytes(options.maxDataValueBytes ?? SessionData.defaultLimits.maxValueBytes),
      maxSessionBytes: yield* validBytes(options.maxDataBytes ?? SessionData.defaultLimits.maxSessionBytes),
      maxSessionKeys: yield* validate(Schema.Int.pipe(Schema.positive()), "maxDataKeys")(
        options.maxDataKeys ?? SessionData.defaultLimits.maxSessionKeys
      )
    }

    const maxFieldBytes = yield* validBytes(options.maxFieldBytes ?? 4096)
    const shards = yield* validate(S.Shards, "shards")(options.shards ?? 1)
    const spans = yield* validate(Schema.Boolean, "spans")(options.spans ?? false)
    const client = yield* RedisClient
    const fieldNames = Object.keys(fieldSchemas)
    const store = yield* client.open({ namespace, shards, defaultTtl, fieldNames })
    const { many: dataMany, ...dataOps } = DataOps.make(store, dataLimits)

    /** Validates field values (the schemas' Type side) and encodes each as the JSON of its encoded value. */
    const encodeFieldValues = (
      encode: (input: unknown) => Either.Either<Record<string, unknown>, ParseResult.ParseError>,
      input: unknown
    ): Effect.Effect<
      { readonly encoded: Record<string, unknown>; readonly json: Array<readonly [string, string]> },
      ValidationError | DataTooLarge
    > =>
      Either.match(encode(input), {
        onLeft: (error) => Effect.fail(ValidationError.fromParseError("additional fields", error)),
        onRight: (encoded) => {
          const json: Array<readonly [string, string]> = []
          for (const [name, value] of Object.entries(encoded)) {
            if (value === undefined) continue
            const text = toJson(name, value)
            if (Either.isLeft(text)) return Effect.fail(text.left)
            const size = Buffer.byteLength(text.right)
            if (size > maxFieldBytes) {
              return Effect.fail(new DataTooLarge({ scope: "field", key: name, size, limit: maxFieldBytes }))
            }
            json.push([name, text.right])
          }
          return Effect.succeed({ encoded, json })
        }
      })

    // without declared fields there is nothing to decode
    const noFields = fieldNames.length === 0
    const noFieldValues = Object.freeze({}) as A // shared by every session: frozen
    const emptyFields = Either.right(noFieldValues)

    const fieldError = (sessionId: string, name: string, message: string, cause: unknown) =>
      new DecodeError({ sessionId, source: "field", key: name, message, cause })

    /** The declared fields of a stored session, parsed from JSON and decoded by their schemas. */
    const storedFields = (
      sessionId: string,
      stored: Readonly<Record<string, string>>
    ): Either.Either<A, DecodeError> => {
      if (noFields) return emptyFields
      const raw: Record<string, unknown> = {}
      for (const name in stored) {
        try {
          raw[name] = JSON.parse(stored[name]!)
        } catch (cause) {
          return Either.left(fieldError(sessionId, name, `stored field ${name} is not JSON`, cause))
        }
      }
      return Either.mapLeft(decodeFields(raw), (error) => {
        const name = firstPathKey(error)
        return fieldError(
          sessionId,
          name,
          `stored field ${name} does not decode: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
          error
        )
      })
    }

    const sessionOf = ({ now, session: s }: SessionRead, fields: A): Session<A> => ({
      sessionId: s.sessionId as S.SessionId,
      userId: s.userId as S.UserId,
      ttl: s.ttl / 1000,
      createdAt: s.createdAt / 1000,
      lastAccess: s.lastAccess / 1000,
      expires: s.expires / 1000,
      endsAt: s.deadline / 1000,
      readAt: now / 1000,
      fields
    })

    const toSession = (read: SessionRead): Either.Either<Session<A>, DecodeError> => {
      const fields = storedFields(read.session.sessionId, read.session.fields)
      return Either.isLeft(fields) ? Either.left(fields.left) : Either.right(sessionOf(read, fields.right))
    }

    const found =
      (sessionId: string) =>
      (read: Option.Option<SessionRead>): Either.Either<Session<A>, SessionNotFound | DecodeError> =>
        Option.isNone(read) ? Either.left(new SessionNotFound({ sessionId })) : toSession(read.value)

    /** The session a store just made, with its token (set on the value, not spread: every create's path). */
    const newSession = ({ read, token }: Store.NewSession, fields: A): NewSession<A> => {
      const session = sessionOf(read, fields) as Session<A> & { token?: Redacted.Redacted<S.SessionToken> }
      session.token = Redacted.make(token as S.SessionToken)
      return session as NewSession<A>
    }

    /** Creates a session of valid inputs; the store makes its token when the effect runs, anew on every run. */
    const createSession = (
      user: S.UserId,
      ttl: number,
      lifetime: number,
      fields: A,
      json: ReadonlyArray<readonly [string, string]>
    ): Effect.Effect<NewSession<A>, SessionLimitReached | RedisError> =>
      Effect.flatMap(
        store.create(
          limit === undefined
            ? { userId: user, ttl, lifetime, fields: json }
            : { userId: user, ttl, lifetime, fields: json, limit }
        ),
        (created) =>
          created._tag === "LimitReached"
            ? Effect.fail(new SessionLimitReached({ userId: user, limit: limit?.max ?? 0 }))
            : Effect.succeed(newSession(created.created, fields))
      )

    const service: SessionManagerService<A> = {
      ...dataOps,
      data: (fields) => DataOps.makeTyped(fields, dataOps),
      namespace,
      ttl: defaultTtl / 1000,
      now: Effect.map(store.now, (ms) => ms / 1000),
      create: (userId, createOptions = {}) =>
        // the common call (a well-formed user id, the manager's ttls, no fields declared) skips the generator
        Ids.isUserId(userId) && createOptions.ttl === undefined && createOptions.maxLifetime === undefined &&
          noFields
          ? createSession(userId as S.UserId, defaultTtl, defaultLifetime, noFieldValues, [])
          : Effect.gen(function*() {
            const user = yield* Validate.userId(userId)
            const ttl = createOptions.ttl === undefined ? defaultTtl : yield* validTtl(createOptions.ttl)
            const lifetime = createOptions.maxLifetime === undefined
              ? defaultLifetime
              : yield* validLifetime(createOptions.maxLifetime)
            const { fields, json } = noFields
              ? { fields: noFieldValues, json: [] as ReadonlyArray<readonly [string, string]> }
              : yield* Effect.flatMap(
                encodeFieldValues(encodeFields, createOptions.fields ?? {}),
                ({ encoded, json }) =>
                  Either.match(decodeFields(encoded), {
                    onLeft: (error) => Effect.fail(ValidationError.fromParseError("additional fields", error)),
                    onRight: (fields) => Effect.succeed({ fields, json })
                  })
              )
            return yield* createSession(user, ttl, lifetime, fields, json)
          }),
      get: (token, getOptions) =>
        Validate.withToken(
          token,
          (id) => Effect.flatMap(store.get(id, getOptions?.noUpdate !== true, touchAfter), found(id))
        ),
      touch: (token) =>
        Validate.withToken(token, (id) =>
          Effect.flatMap(
            store.get(id, true),
            (read) => Option.isNone(read) ? Effect.fail(new SessionNotFound({ sessionId: id })) : Effect.void
          )),
      exists: (token) => Validate.withToken(token, store.exists),
      rotate: (token) =>
        Validate.withToken(token, (id) =>
          Effect.flatMap(store.rotate(id), (rotated): Effect.Effect<NewSession<A>, SessionNotFound | DecodeError> =>
            Option.isNone(rotated)
              ? Effect.fail(new SessionNotFound({ sessionId: id }))
              : Effect.map(toSession(rotated.value.read), (session) =>
                newSession(rotated.value, session.fields)))),
      inspect: (sessionId) =>
        Validate.withSessionId(sessionId, (id) =>
          Effect.flatMap(store.get(id, false), found(id))),
      killOtherSessions: (sessionId) =>
        Validate.withSessionId(sessionId, (id) =>
          Effect.flatMap(
            store.killOthers(id),
            Option.match({
              onNone: () => Effect.fail(new SessionNotFound({ sessionId: id })),
              onSome: Effect.succeed
            })
          )),
      getOldestUserSession: (userId, getOptions = {}) =>
        Effect.flatMap(Validate.userId(userId), (user) =>
          Effect.flatMap(store.oldest(user, getOptions.noUpdate !== true), (read) =>
            Option.match(read, {
              onNone: () =>
                Effect.succeedNone,
              onSome: (read) =>
                Effect.asSome(toSession(read))
            }))),
      write: (sessionId, fields) =>
        Effect.gen(function*() {
          const id = yield* Validate.sessionId(sessionId)
          const { json } = yield* encodeFieldValues(encodePartialFields, fields)
          return yield* Effect.flatMap(store.update(id, json), found(id))
        }),
      kill: (sessionId) =>
        Validate.withSessionId(sessionId, (id) => Effect.asVoid(store.kill(id))),
      killUser: (userId) => Effect.flatMap(Validate.userId(userId), store.killUser),
      killAll: store.killAll,
      count: (secs) => Effect.flatMap(windowMillis(secs), (windowMs) => store.count({ windowMs })),
      countForUser: (userId, secs) =>
        Effect.flatMap(
          Validate.userId(userId),
          (user) => Effect.flatMap(windowMillis(secs), (windowMs) => store.count({ userId: user, windowMs }))
        ),
      // ids in the indexes were validated before they were written
      getAllSessions: (secs) =>
        Effect.flatMap(
          windowMillis(secs),
          (windowMs) =>
            store.list({ index: "sessions", windowMs }) as Effect.Effect<ReadonlyArray<S.SessionId>, RedisError>
        ),
      getAllUsers: (secs) =>
        Effect.flatMap(
          windowMillis(secs),
          (windowMs) => store.list({ index: "users", windowMs }) as Effect.Effect<ReadonlyArray<S.UserId>, RedisError>
        ),
      getUserSessions: (userId, secs) =>
        Effect.flatMap(Validate.userId(userId), (user) =>
          Effect.flatMap(
            windowMillis(secs),
            (windowMs) =>
              store.list({ index: "userSessions", userId: user, windowMs }) as Effect.Effect<
                ReadonlyArray<S.SessionId>,
                RedisError
              >
          )),
      wipe: store.wipe
    }

    const batched: Batched.Batched<A> = {
      exists: (tokens) => Batched.calls(tokens, Validate.tokenId, store.many.exists, (_, live) => Either.right(live)),
      get: (tokens) => Batched.calls(tokens, Validate.tokenId, store.many.get, (id, read) => found(id)(read)),
      ...dataMany
    }

    // with spans, every call of the service (and of the typed data accessors it makes) runs in one
    const manager: SessionManagerService<A> = spans
      ? {
        ...Spans.traced(service, "SessionManager", namespace, ["data"]),
        data: (fields) => Spans.traced(service.data(fields), "SessionManager.data", namespace)
      }
      : service

    if (Duration.toMillis(wipeInterval) > 0) {
      yield* Effect.sleep(wipeInterval).pipe(
        Effect.zipRight(manager.wipe),
        Effect.tap((removed) => removed > 0 ? Effect.logDebug(`wiped ${removed} expired sessions`) : Effect.void),
        Effect.catchAllCause((cause) =>
          Effect.logWarning("wiping expired sessions failed; trying again at the next interval", cause)
        ),
        Effect.forever,
        Effect.annotateLogs({ package: "effect-redisess", namespace }),
        Effect.forkScoped
      )
    }

    return Batched.attach(manager, spans ? Spans.tracedMany(batched, "SessionManager", namespace) : batched)
  })

/**
 * The `SessionManager` service as a layer on the `RedisClient` in context. Releasing the layer
 * interrupts the wipe fiber (the seed's `quit`).
 *
 * @since 0.1.0
 */
export const layer = <F extends FieldSchemas = NoFields>(
  options: Options<F>
): Layer.Layer<SessionManager, ValidationError | RedisError, RedisClient> =>
  // The typed service is used through the loosely typed tag: inputs are validated at run time.
  Layer.scoped(
    SessionManager,
    make(options) as unknown as Effect.Effect<
      SessionManagerService,
      ValidationError | RedisError,
      RedisClient | Scope.Scope
    >
  )

/**
 * The options {@link layerConfig} reads from `Config` (all but the field schemas).
 *
 * @since 0.2.0
 */
export type ConfigOptions = Omit<Options, "additionalFields">

/**
 * The `SessionManager` service as a layer configured from `Config`, each option a `Config` of its
 * own; the field schemas, code rather than configuration, come beside it.
 *
 * @example
 * import { Config } from "effect"
 * import { SessionManager } from "effect-redisess"
 * const Sessions = SessionManager.layerConfig({
 *   namespace: Config.string("SESSIONS_NAMESPACE").pipe(Config.withDefault("app")),
 *   ttl: Config.duration("SESSIONS_TTL").pipe(Config.withDefault("30 minutes")),
 *   maxSessionsPerUser: Config.integer("SESSIONS_PER_USER").pipe(Config.withDefault(10))
 * })
 *
 * @since 0.2.0
 */
export const layerConfig = <F extends FieldSchemas = NoFields>(
  config: Config.Config.Wrap<ConfigOptions>,
  fields?: { readonly additionalFields?: Options<F>["additionalFields"] }
): Layer.Layer<SessionManager, ValidationError | RedisError | ConfigError.ConfigError, RedisClient> =>
  Layer.unwrapEffect(
    Effect.map(Config.unwrap(config), (options) => layer<F>({ ...options, ...fields } as Options<F>))
  )

/**
 * Reads the session again (without touching it), through the `SessionManager` in context: the
 * seed's `session.read()`.
 *
 * @example
 * import { Effect } from "effect"
 * import { SessionManager } from "effect-redisess"
 * const program = Effect.gen(function*() {
 *   const sm = yield* SessionManager.SessionManager
 *   const session = yield* sm.create("alice")
 *   return yield* SessionManager.read(session) // a new value, as stored now
 * })
 *
 * @since 0.2.0
 */
export const read = (
  session: Session<unknown>
): Effect.Effect<Session, SessionNotFound | ValidationError | RedisError | DecodeError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.inspect(session.sessionId))

/**
 * Kills the session (the seed's `session.kill()`); succeeds when it is already gone.
 *
 * @since 0.2.0
 */
export const kill = (session: Session<unknown>): Effect.Effect<void, ValidationError | RedisError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.kill(session.sessionId))

/**
 * Writes additional fields of the session (only those given) and returns it as stored (the seed's
 * `session.write()`). Fails with `SessionNotFound`, creating nothing, when it was killed or expired.
 *
 * @since 0.2.0
 */
export const write = (
  session: Session<unknown>,
  fields: Partial<AnyFields>
): Effect.Effect<
  Session,
  SessionNotFound | ValidationError | RedisError | DecodeError | DataTooLarge,
  SessionManager
> => Effect.flatMap(SessionManager, (manager) => manager.write(session.sessionId, fields))
