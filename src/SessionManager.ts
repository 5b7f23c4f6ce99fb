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
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { RedisError } from "./Errors.js"
import { DecodeError, SessionLimitReached, SessionNotFound, ValidationError } from "./Errors.js"
import * as DataOps from "./internal/dataOps.js"
import type { DataOps as DataOpsShape, TypedData } from "./internal/dataOps.js"
import * as Ids from "./internal/ids.js"
import { sessionShard, userShard } from "./internal/keys.js"
import { RedisClient } from "./RedisLayer.js"
import type { StoredRead } from "./RedisLayer.js"
import * as S from "./Schema.js"
import type { Session } from "./Session.js"
import * as SessionData from "./SessionData.js"

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
export type AnyFields = { readonly [name: string]: unknown }

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
  readonly ttl?: number | Duration.Duration
  /** How often expired sessions are wiped: seconds or a `Duration`; `0` = never. Default 60 seconds. */
  readonly wipeInterval?: number | Duration.Duration
  /**
   * Absolute lifetime: a session ends at `createdAt + maxLifetime` however active it is (seconds or
   * a `Duration`; `0` = no limit, the default). Sessions may override it at creation.
   */
  readonly maxLifetime?: number | Duration.Duration
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
   * Additional fields stored with each session, declared with schemas so that they are validated on
   * the way in and come back typed, e.g. `{ groupId: Schema.Number, peerIp: Schema.optional(Schema.String) }`.
   */
  readonly additionalFields?: F & (Schema.Struct.Context<F> extends never ? unknown : "fields must need no services")
}

/**
 * Options of `create`.
 *
 * @since 0.1.0
 */
export interface CreateOptions<A> {
  /** This session's ttl (seconds or a `Duration`; `0` = never expires) instead of the default. */
  readonly ttl?: number | Duration.Duration
  /** This session's absolute lifetime (seconds or a `Duration`; `0` = none) instead of the default. */
  readonly maxLifetime?: number | Duration.Duration
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
   * Creates a session for a user. With `maxSessionsPerUser`, the limit is enforced in the same
   * atomic step (evicting the least recently active, or failing with `SessionLimitReached`).
   */
  readonly create: (
    userId: string,
    options?: CreateOptions<A>
  ) => Effect.Effect<Session<A>, ValidationError | SessionLimitReached | RedisError>
  /** Reads a live session, updating its last access unless `noUpdate`. */
  readonly get: (
    sessionId: string,
    options?: GetOptions
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /** Updates the last access of a live session without reading it back. */
  readonly touch: (sessionId: string) => Effect.Effect<void, SessionNotFound | ValidationError | RedisError>
  /**
   * Gives a live session a new id (session fixation defence: call it on login and privilege
   * change). User, fields, data, creation time and index entries move with it; the old id is dead
   * in the same atomic step. Returns the session under its new id, touched.
   */
  readonly rotate: (
    sessionId: string
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /** Kills every other session of this session's user ("log out other devices"), atomically; returns how many. */
  readonly killOtherSessions: (
    sessionId: string
  ) => Effect.Effect<number, SessionNotFound | ValidationError | RedisError>
  /** Whether a live session has this id. */
  readonly exists: (sessionId: string) => Effect.Effect<boolean, ValidationError | RedisError>
  /** The user's least recently accessed live session, updated unless `noUpdate`. */
  readonly getOldestUserSession: (
    userId: string,
    options?: GetOptions
  ) => Effect.Effect<Option.Option<Session<A>>, ValidationError | RedisError | DecodeError>
  /** Writes the given additional fields of a live session (its last access is unchanged). */
  readonly write: (
    sessionId: string,
    fields: Partial<A>
  ) => Effect.Effect<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  /** Kills one session; succeeds when it is already gone. */
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
   * yield* cart.set(sessionId, { theme: "dark" })
   * const theme = yield* cart.get(sessionId, "theme") // Option<"dark" | "light">
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

/** An input check as an effect: `decode`'s value, or a `ValidationError` naming `what` was wrong. */
const validateWith =
  <A>(decode: (input: unknown) => Either.Either<A, ParseResult.ParseError>, what: string) =>
  (input: unknown): Effect.Effect<A, ValidationError> =>
    Either.match(decode(input), {
      onLeft: (error) => Effect.fail(ValidationError.fromParseError(what, error)),
      onRight: Effect.succeed
    })

const validate = <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  validateWith(Schema.decodeUnknownEither(schema), what)

// every operation by id or user checks these: well-formed input skips the schemas
const validSessionId = validateWith(Ids.decodeFast(S.SessionId, Ids.isSessionId), "session id")
const validUserId = validateWith(Ids.decodeFast(S.UserId, Ids.isUserId), "user id")

/**
 * The operation `f` builds on a session id, once the id is valid. Every operation by id starts
 * here, so a well-formed id (the pattern the schema checks) skips the schema's parse machinery and
 * one step of the effect. Building an operation runs nothing: stores' effects are lazy.
 */
const withSessionId = <A, E>(
  sessionId: string,
  f: (id: S.SessionId) => Effect.Effect<A, E>
): Effect.Effect<A, E | ValidationError> =>
  Ids.isSessionId(sessionId)
    ? f(sessionId as S.SessionId)
    : Effect.flatMap(validSessionId(sessionId), f)

const validWindow = validate(S.WindowSeconds, "window (seconds)")
const windowMillis = (secs: number | undefined) =>
  secs === undefined ? Effect.succeed(0) : Effect.map(validWindow(secs), (s) => Math.round(s * 1000))

/** A new session id (see `internal/ids.ts`). */
const newSessionId = (shard: number, shards: number): Effect.Effect<S.SessionId> =>
  Effect.sync(() => Ids.newSessionId(shard, shards) as S.SessionId)

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
      maxSessionBytes: yield* validBytes(options.maxDataBytes ?? SessionData.defaultLimits.maxSessionBytes)
    }

    const shards = yield* validate(S.Shards, "shards")(options.shards ?? 1)
    const client = yield* RedisClient
    const requestedLayout = { shards, regularTtl: defaultTtl }
    const layout = yield* client.layout(namespace, requestedLayout)
    const recordedShards = layout.shards
    if (recordedShards !== shards) {
      return yield* Effect.fail(
        new ValidationError({
          message: `Invalid shards: namespace ${namespace} holds data spread over ${recordedShards} shard(s), and ` +
            `this manager was started with ${shards}. Changing shards would split its sessions: start it with ` +
            `shards: ${recordedShards}, or use a new namespace.`
        })
      )
    }
    // sessions on another ttl than the namespace's recorded regular one work the same, with one more index entry
    const store = client.store(namespace, layout, Object.keys(fieldSchemas))
    const dataOps = DataOps.make(store, dataLimits)

    /**
     * Validates field values (the schemas' Type side) and encodes them: each becomes the hash field
     * `f:<name>` holding the JSON of its encoded value.
     */
    const toHashFields = (
      encode: (input: unknown) => Either.Either<Record<string, unknown>, ParseResult.ParseError>,
      input: unknown
    ): Effect.Effect<
      { readonly encoded: Record<string, unknown>; readonly hash: Array<readonly [string, string]> },
      ValidationError
    > =>
      Either.match(encode(input), {
        onLeft: (error) => Effect.fail(ValidationError.fromParseError("additional fields", error)),
        onRight: (encoded) => {
          const hash: Array<readonly [string, string]> = []
          for (const [name, value] of Object.entries(encoded)) {
            if (value === undefined) continue
            const json = toJson(name, value)
            if (Either.isLeft(json)) return Effect.fail(json.left)
            hash.push([S.HashField.fieldPrefix + name, json.right])
          }
          return Effect.succeed({ encoded, hash })
        }
      })

    // without declared fields there is nothing to decode (stored ones are ignored, as the empty struct would)
    const noFields = Object.keys(fieldSchemas).length === 0
    const noFieldValues = Object.freeze({}) as A // shared by every session: frozen
    const emptyFields = Either.right(noFieldValues)

    const decodeError = (sessionId: string, field: string, message: string, cause: unknown) =>
      new DecodeError({ sessionId, field, message, cause })

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
          return Either.left(
            decodeError(sessionId, S.HashField.fieldPrefix + name, `stored field ${name} is not JSON`, cause)
          )
        }
      }
      return Either.mapLeft(decodeFields(raw), (error) => {
        const name = firstPathKey(error)
        return decodeError(
          sessionId,
          S.HashField.fieldPrefix + name,
          `stored field ${name} does not decode: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
          error
        )
      })
    }

    const toSession = (sessionId: string, read: StoredRead): Effect.Effect<Session<A>, DecodeError> => {
      const stored = S.decodeSessionHash(read.hash)
      if (Either.isLeft(stored)) {
        return Effect.fail(
          decodeError(
            sessionId,
            firstPathKey(stored.left),
            ParseResult.TreeFormatter.formatErrorSync(stored.left),
            stored.left
          )
        )
      }
      const fields = storedFields(sessionId, stored.right.fields)
      if (Either.isLeft(fields)) return Effect.fail(fields.left)
      const s = stored.right
      return Effect.succeed({
        sessionId: sessionId as S.SessionId,
        userId: s.userId as S.UserId,
        ttl: s.ttl / 1000,
        createdAt: s.createdAt / 1000,
        lastAccess: s.lastAccess / 1000,
        expires: s.expires / 1000,
        endsAt: s.deadline / 1000,
        readAt: read.now / 1000,
        fields: fields.right
      })
    }

    const found =
      (sessionId: string) =>
      (read: Option.Option<StoredRead>): Effect.Effect<Session<A>, SessionNotFound | DecodeError> =>
        Option.isNone(read) ? Effect.fail(new SessionNotFound({ sessionId })) : toSession(sessionId, read.value)

    /** Creates a session of valid inputs; its id is made when the effect runs, anew on every run. */
    const createSession = (
      user: S.UserId,
      ttl: number,
      lifetime: number,
      fields: A,
      hash: ReadonlyArray<readonly [string, string]>
    ): Effect.Effect<Session<A>, SessionLimitReached | RedisError> =>
      Effect.suspend(() => {
        const sessionId = Ids.newSessionId(userShard(user, shards), shards) as S.SessionId
        return Effect.flatMap(
          store.create({
            sessionId,
            userId: user,
            ttl,
            lifetime,
            fields: hash,
            ...(limit === undefined ? {} : { limit })
          }),
          (created): Effect.Effect<Session<A>, SessionLimitReached> => {
            if (created._tag === "LimitReached") {
              return Effect.fail(new SessionLimitReached({ userId: user, limit: limit?.max ?? 0 }))
            }
            const now = created.now
            const deadline = lifetime > 0 ? now + lifetime : 0
            const idle = ttl > 0 ? now + ttl : 0
            return Effect.succeed({
              sessionId,
              userId: user,
              ttl: ttl / 1000,
              createdAt: now / 1000,
              lastAccess: now / 1000,
              expires: (deadline > 0 && (idle === 0 || deadline < idle) ? deadline : idle) / 1000,
              endsAt: deadline / 1000,
              readAt: now / 1000,
              fields
            })
          }
        )
      })

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
            const user = yield* validUserId(userId)
            const ttl = createOptions.ttl === undefined ? defaultTtl : yield* validTtl(createOptions.ttl)
            const lifetime = createOptions.maxLifetime === undefined
              ? defaultLifetime
              : yield* validLifetime(createOptions.maxLifetime)
            const { fields, hash } = noFields
              ? { fields: noFieldValues, hash: [] as ReadonlyArray<readonly [string, string]> }
              : yield* Effect.flatMap(toHashFields(encodeFields, createOptions.fields ?? {}), ({ encoded, hash }) =>
                Either.match(decodeFields(encoded), {
                  onLeft: (error) => Effect.fail(ValidationError.fromParseError("additional fields", error)),
                  onRight: (fields) => Effect.succeed({ fields, hash })
                }))
            return yield* createSession(user, ttl, lifetime, fields, hash)
          }),
      touch: (sessionId) =>
        withSessionId(sessionId, (id) =>
          Effect.flatMap(
            store.get(id, true),
            (read) => Option.isNone(read) ? Effect.fail(new SessionNotFound({ sessionId: id })) : Effect.void
          )),
      rotate: (sessionId) =>
        Effect.gen(function*() {
          const id = yield* validSessionId(sessionId)
          const newId = yield* newSessionId(sessionShard(id), shards)
          const read = yield* store.rotate(id, newId)
          if (Option.isNone(read)) return yield* Effect.fail(new SessionNotFound({ sessionId: id }))
          return yield* toSession(newId, read.value)
        }),
      killOtherSessions: (sessionId) =>
        withSessionId(sessionId, (id) =>
          Effect.flatMap(
            store.killOthers(id),
            Option.match({
              onNone: () => Effect.fail(new SessionNotFound({ sessionId: id })),
              onSome: Effect.succeed
            })
          )),
      get: (sessionId, getOptions) =>
        withSessionId(sessionId, (id) => Effect.flatMap(store.get(id, getOptions?.noUpdate !== true), found(id))),
      exists: (sessionId) => withSessionId(sessionId, store.exists),
      getOldestUserSession: (userId, getOptions = {}) =>
        Effect.flatMap(validUserId(userId), (user) =>
          Effect.flatMap(store.oldest(user, getOptions.noUpdate !== true), (read) =>
            Option.match(read, {
              onNone: () =>
                Effect.succeedNone,
              onSome: (read) =>
                Effect.asSome(toSession(read.sessionId, read))
            }))),
      write: (sessionId, fields) =>
        Effect.gen(function*() {
          const id = yield* validSessionId(sessionId)
          const { hash } = yield* toHashFields(encodePartialFields, fields)
          return yield* Effect.flatMap(store.update(id, hash), found(id))
        }),
      kill: (sessionId) =>
        withSessionId(sessionId, (id) => Effect.asVoid(store.kill(id))),
      killUser: (userId) => Effect.flatMap(validUserId(userId), store.killUser),
      killAll: store.killAll,
      count: (secs) => Effect.flatMap(windowMillis(secs), (windowMs) => store.count({ windowMs })),
      countForUser: (userId, secs) =>
        Effect.flatMap(
          validUserId(userId),
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
        Effect.flatMap(validUserId(userId), (user) =>
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

    if (Duration.toMillis(wipeInterval) > 0) {
      yield* Effect.sleep(wipeInterval).pipe(
        Effect.zipRight(store.wipe),
        Effect.tap((removed) => removed > 0 ? Effect.logDebug(`wiped ${removed} expired sessions`) : Effect.void),
        Effect.catchAllCause((cause) =>
          Effect.logWarning("wiping expired sessions failed; trying again at the next interval", cause)
        ),
        Effect.forever,
        Effect.annotateLogs({ package: "effect-redisess", namespace }),
        Effect.forkScoped
      )
    }

    return service
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
