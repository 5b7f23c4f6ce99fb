/**
 * Schemas for everything that crosses the library's boundary: ids, times, options, and the codec
 * of the Redis hash that stores one session.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Ids from "./internal/ids.js"

/**
 * A session id: 22 URL-safe base64 characters (128 random bits from the platform's cryptographic
 * generator), preceded by its shard and a dot (`3.…`) in a namespace spread over several shards.
 * Anything else is rejected before a key is built from it.
 *
 * @example
 * import { Schema } from "effect"
 * import { SessionId } from "effect-redisess/Schema"
 * Schema.decodeUnknownSync(SessionId)("vL3m0Zp1yXb2Qw9e7Rt5Ua") // ok
 *
 * @since 0.1.0
 */
export const SessionId = Schema.String.pipe(
  Schema.pattern(Ids.sessionIdPattern, {
    message: () => "a session id is 22 characters of A-Z a-z 0-9 _ -, after a shard number and a dot when sharded"
  }),
  Schema.brand("SessionId")
)

/** @since 0.1.0 */
export type SessionId = typeof SessionId.Type

/**
 * A user id: any non-empty, well-formed Unicode string of at most 512 characters. Separators,
 * braces, glob characters and spaces are all fine: the key layout keeps them from reaching any
 * other key. Lone surrogates are refused, since two different ones would encode to the same bytes.
 *
 * @since 0.1.0
 */
export const UserId = Schema.String.pipe(
  Schema.minLength(1, { message: () => "a user id must not be empty" }),
  Schema.maxLength(Ids.maxUserIdLength, { message: () => `a user id has at most ${Ids.maxUserIdLength} characters` }),
  Schema.filter((s) => !Ids.loneSurrogate.test(s), { message: () => "a user id must be well-formed Unicode" }),
  Schema.brand("UserId")
)

/** @since 0.1.0 */
export type UserId = typeof UserId.Type

/**
 * A namespace: 1 to 64 characters of `A-Z a-z 0-9 _ . : -`. Every key of the namespace starts with
 * `{namespace}`, so no braces are allowed.
 *
 * @since 0.1.0
 */
export const Namespace = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: () => "a namespace is 1 to 64 characters of A-Z a-z 0-9 _ . : -"
  }),
  Schema.brand("Namespace")
)

/** @since 0.1.0 */
export type Namespace = typeof Namespace.Type

/**
 * The name of an additional field: a letter or `_`, then up to 63 letters, digits or `_`.
 *
 * @since 0.1.0
 */
export const FieldName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    message: () => "a field name is a letter or _ followed by up to 63 letters, digits or _"
  })
)

/**
 * A window of seconds ("active within the last N seconds"): finite and not negative. `0` means
 * no window (everything).
 *
 * @since 0.1.0
 */
export const WindowSeconds = Schema.Number.pipe(
  Schema.finite({ message: () => "seconds must be a finite number" }),
  Schema.nonNegative({ message: () => "seconds must not be negative" })
)

/** The longest ttl accepted: 100 years. */
const maxTtlMillis = 100 * 365 * 24 * 3600 * 1000

/**
 * A time-to-live as given by a caller: seconds as a number (`0` = never expires) or an Effect
 * `Duration`. Decodes to whole milliseconds; must be 0 or between 1 ms and 100 years.
 *
 * @example
 * import { Duration, Schema } from "effect"
 * import { Ttl } from "effect-redisess/Schema"
 * Schema.decodeUnknownSync(Ttl)(120) // 120000
 * Schema.decodeUnknownSync(Ttl)(Duration.minutes(30)) // 1800000
 *
 * @since 0.1.0
 */
export const Ttl = Schema.transformOrFail(
  Schema.Union(Schema.Number, Schema.DurationFromSelf),
  Schema.Int.pipe(Schema.between(0, maxTtlMillis)),
  {
    strict: true,
    decode: (input, _, ast) => {
      const millis = typeof input === "number" ? input * 1000 : Duration.toMillis(input)
      if (!Number.isFinite(millis) || millis < 0 || millis > maxTtlMillis) {
        return ParseResult.fail(
          new ParseResult.Type(ast, input, "a ttl is a finite number of seconds from 0 (never expires) to 100 years")
        )
      }
      const rounded = Math.round(millis)
      if (millis > 0 && rounded === 0) {
        return ParseResult.fail(new ParseResult.Type(ast, input, "a ttl above 0 must be at least 1 millisecond"))
      }
      return ParseResult.succeed(rounded)
    },
    encode: (millis) => ParseResult.succeed(millis / 1000)
  }
)

/**
 * How many hash slots a namespace is spread over: an integer from 1 to 1024.
 *
 * @since 0.1.0
 */
export const Shards = Schema.Int.pipe(
  Schema.between(1, 1024, { message: () => "shards is an integer from 1 to 1024" })
)

/**
 * The most live sessions one user may have: a positive integer.
 *
 * @since 0.1.0
 */
export const SessionLimit = Schema.Int.pipe(
  Schema.positive({ message: () => "maxSessionsPerUser is a positive integer" })
)

/**
 * What `create` does at the per-user limit.
 *
 * @since 0.1.0
 */
export const SessionLimitPolicy = Schema.Literal("evict-oldest", "refuse")

/**
 * An interval given as seconds or a `Duration`; decodes to a `Duration`.
 *
 * @since 0.1.0
 */
export const Interval = Schema.transformOrFail(
  Schema.Union(Schema.Number, Schema.DurationFromSelf),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const millis = typeof input === "number" ? input * 1000 : Duration.toMillis(input)
      return Number.isFinite(millis) && millis >= 0
        ? ParseResult.succeed(Duration.millis(millis))
        : ParseResult.fail(new ParseResult.Type(ast, input, "an interval is a finite, non-negative number of seconds"))
    },
    encode: (duration) => ParseResult.succeed(duration)
  }
)

/**
 * One session as stored: the fixed fields of its Redis hash, times in milliseconds, and the
 * additional fields still JSON-encoded (they are decoded with the manager's field schemas).
 *
 * @since 0.1.0
 */
export interface StoredSession {
  readonly userId: string
  /** Creation time, unix ms. */
  readonly createdAt: number
  /** Last access, unix ms. */
  readonly lastAccess: number
  /** Idle time-to-live in ms; 0 = never expires. */
  readonly ttl: number
  /** Expiry time, unix ms: idle ttl or lifetime deadline, whichever comes first; 0 = never. */
  readonly expires: number
  /** The absolute lifetime deadline, unix ms; 0 = none. */
  readonly deadline: number
  /** Additional fields by name, each a JSON text. */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * The names of a session's fields as the store reads them. Additional fields are stored under
 * `f:<name>`, so no name an app picks can collide with the fixed one-letter fields. The Redis hash
 * itself holds `u`, `c`, `t` and (when there is a deadline) `l`: last access is the session's
 * score in its user's index and expiry follows from them, and the store's scripts add `a` and `x`
 * to what they read.
 *
 * @since 0.1.0
 */
export const HashField = {
  userId: "u",
  createdAt: "c",
  lastAccess: "a",
  ttl: "t",
  expires: "x",
  deadline: "l",
  fieldPrefix: "f:"
} as const

const Millis = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

const FixedHashFields = Schema.Struct({
  u: Schema.String,
  c: Millis,
  a: Millis,
  t: Millis,
  x: Millis,
  l: Schema.optionalWith(Millis, { default: () => 0 })
})

const decodeFixed = ParseResult.decodeUnknown(FixedHashFields)

/**
 * The codec between a session's fields as the store reads them (field name to string value; see
 * {@link HashField}) and {@link StoredSession}.
 * Unknown fields are ignored, so later versions can add fields without breaking older readers.
 *
 * @since 0.1.0
 */
export const SessionHash = Schema.transformOrFail(
  Schema.Record({ key: Schema.String, value: Schema.String }),
  Schema.typeSchema(Schema.Struct({
    userId: Schema.String,
    createdAt: Schema.Number,
    lastAccess: Schema.Number,
    ttl: Schema.Number,
    expires: Schema.Number,
    deadline: Schema.Number,
    fields: Schema.Record({ key: Schema.String, value: Schema.String })
  })),
  {
    strict: true,
    decode: (hash) =>
      ParseResult.map(decodeFixed(hash), (fixed): StoredSession => {
        const fields: Record<string, string> = {}
        for (const name of Object.keys(hash)) {
          if (name.startsWith(HashField.fieldPrefix)) fields[name.slice(HashField.fieldPrefix.length)] = hash[name]!
        }
        return {
          userId: fixed.u,
          createdAt: fixed.c,
          lastAccess: fixed.a,
          ttl: fixed.t,
          expires: fixed.x,
          deadline: fixed.l,
          fields
        }
      }),
    encode: (stored) => {
      const hash: Record<string, string> = {
        u: stored.userId,
        c: String(stored.createdAt),
        a: String(stored.lastAccess),
        t: String(stored.ttl),
        x: String(stored.expires),
        l: String(stored.deadline)
      }
      for (const [name, value] of Object.entries(stored.fields)) hash[HashField.fieldPrefix + name] = value
      return ParseResult.succeed(hash)
    }
  }
)

const decodeWithSchema = Schema.decodeUnknownEither(SessionHash)

const millisOf = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined
  return Number(text)
}

/**
 * Decodes a session hash; fails with a `ParseError` when a fixed field is missing or malformed.
 * Runs on every read, so well-formed hashes take a direct path; anything else goes through
 * {@link SessionHash} for the error (and the same result).
 */
export const decodeSessionHash = (
  hash: Readonly<Record<string, string>>
): Either.Either<StoredSession, ParseResult.ParseError> => {
  const createdAt = millisOf(hash.c)
  const lastAccess = millisOf(hash.a)
  const ttl = millisOf(hash.t)
  const expires = millisOf(hash.x)
  const deadline = hash.l === undefined ? 0 : millisOf(hash.l)
  if (
    typeof hash.u !== "string" || createdAt === undefined || lastAccess === undefined || ttl === undefined ||
    expires === undefined || deadline === undefined
  ) {
    return decodeWithSchema(hash)
  }
  const fields: Record<string, string> = {}
  for (const name in hash) {
    if (name.startsWith(HashField.fieldPrefix)) fields[name.slice(HashField.fieldPrefix.length)] = hash[name]!
  }
  return Either.right({ userId: hash.u, createdAt, lastAccess, ttl, expires, deadline, fields })
}
