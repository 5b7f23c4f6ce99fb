/**
 * Schemas for everything that crosses the library's boundary: ids, times and options.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Durations from "./internal/duration.js"
import * as Ids from "./internal/ids.js"

/**
 * A session token: the secret a client presents (192 random bits from the platform's cryptographic
 * generator, 32 URL-safe base64 characters), after its shard and a dot in a namespace spread over
 * several shards. The library hands tokens out `Redacted` and never stores, logs or lists them.
 *
 * @since 0.2.0
 */
export const SessionToken = Schema.String.pipe(
  Schema.pattern(Ids.tokenPattern, {
    message: () => "a session token is 32 characters of A-Z a-z 0-9 _ -, after a shard number and a dot when sharded"
  }),
  Schema.brand("SessionToken")
)

/** @since 0.2.0 */
export type SessionToken = typeof SessionToken.Type

/**
 * A session id: the public handle of a session, safe to log, list and show (16 URL-safe base64
 * characters of its token's SHA-256, after the token's shard prefix). It never authenticates.
 * Anything else is rejected before a key is built from it.
 *
 * @example
 * import { Schema } from "effect"
 * import { SessionId } from "effect-redisess/Schema"
 * Schema.decodeUnknownSync(SessionId)("vL3m0Zp1yXb2Qw9e") // ok
 *
 * @since 0.1.0
 */
export const SessionId = Schema.String.pipe(
  Schema.pattern(Ids.sessionIdPattern, {
    message: () =>
      `a session id is ${Ids.sessionIdLength} characters of A-Z a-z 0-9 _ -, after a shard number and a dot when sharded`
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
 * A time-to-live as given by a caller: a number of seconds (`0` = never expires), an Effect
 * `Duration`, or a string Effect reads (`"30 minutes"`). Decodes to whole milliseconds; must be 0 or
 * between 1 ms and 100 years.
 *
 * @example
 * import { Duration, Schema } from "effect"
 * import { Ttl } from "effect-redisess/Schema"
 * Schema.decodeUnknownSync(Ttl)(120) // 120000
 * Schema.decodeUnknownSync(Ttl)("30 minutes") // 1800000
 * Schema.decodeUnknownSync(Ttl)(Duration.minutes(30)) // 1800000
 *
 * @since 0.1.0
 */
export const Ttl = Schema.transformOrFail(
  Schema.Unknown,
  Schema.Int.pipe(Schema.between(0, maxTtlMillis)),
  {
    strict: true,
    decode: (input, _, ast) => {
      const duration = Durations.decode(input)
      const millis = Option.isSome(duration) ? Duration.toMillis(duration.value) : NaN
      if (!Number.isFinite(millis) || millis < 0 || millis > maxTtlMillis) {
        return ParseResult.fail(
          new ParseResult.Type(
            ast,
            input,
            "a ttl is seconds, a Duration or a string like \"30 minutes\", from 0 (never expires) to 100 years"
          )
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
 * An interval given as seconds, a `Duration` or a string like `"1 minute"`; decodes to a finite
 * `Duration`.
 *
 * @since 0.1.0
 */
export const Interval = Schema.transformOrFail(
  Schema.Unknown,
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const duration = Durations.decode(input)
      return Option.isSome(duration) && Duration.isFinite(duration.value)
        ? ParseResult.succeed(duration.value)
        : ParseResult.fail(
          new ParseResult.Type(ast, input, "an interval is seconds, a Duration or a string like \"1 minute\"")
        )
    },
    encode: (duration) => ParseResult.succeed(duration)
  }
)
