/**
 * The errors of effect-redisess. Every failure an operation can have is one of these, tagged so
 * that `Effect.catchTag` can pick it out.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * Redis (or the driver talking to it) failed: connection refused or lost, no answer within the
 * operation timeout (`timeout: true`), a reply of an unexpected shape, a script error. `cause`
 * keeps the driver's error.
 *
 * @since 0.1.0
 */
export class RedisError extends Schema.TaggedError<RedisError>("effect-redisess/RedisError")("RedisError", {
  message: Schema.String,
  /** True when Redis did not answer within the operation timeout (the command may still run later). */
  timeout: Schema.optional(Schema.Boolean),
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * No live session has this token or id: it never existed, was killed, or has expired (an expired
 * session is never returned, even before the wipe has removed it). `sessionId` is the session's
 * public id, never a token.
 *
 * @since 0.1.0
 */
export class SessionNotFound extends Schema.TaggedError<SessionNotFound>("effect-redisess/SessionNotFound")(
  "SessionNotFound",
  { sessionId: Schema.String }
) {
  override get message(): string {
    return `No live session with id ${this.sessionId}`
  }
}

/**
 * The user already has `limit` live sessions and the manager's policy is to refuse new ones
 * (`sessionLimitPolicy: "refuse"`). Nothing was created.
 *
 * @since 0.1.0
 */
export class SessionLimitReached extends Schema.TaggedError<SessionLimitReached>(
  "effect-redisess/SessionLimitReached"
)("SessionLimitReached", { userId: Schema.String, limit: Schema.Number }) {
  override get message(): string {
    return `User ${this.userId} already has ${this.limit} live sessions`
  }
}

/**
 * Stored data would pass a size limit: one encoded data value over `maxDataValueBytes`
 * (`scope: "value"`, `key` names it), the session's data over `maxDataBytes` (`scope: "session"`),
 * its data keys over `maxDataKeys` (`scope: "keys"`, `size` is how many it would hold), or one
 * additional field's JSON over `maxFieldBytes` (`scope: "field"`, `key` names it). Nothing was
 * written. `sessionId` is the session's public id, when there is one yet.
 *
 * @since 0.1.0
 */
export class DataTooLarge extends Schema.TaggedError<DataTooLarge>("effect-redisess/DataTooLarge")("DataTooLarge", {
  sessionId: Schema.optional(Schema.String),
  scope: Schema.Literal("value", "session", "keys", "field"),
  key: Schema.optional(Schema.String),
  size: Schema.Number,
  limit: Schema.Number
}) {
  override get message(): string {
    switch (this.scope) {
      case "value":
        return `Data value ${this.key} is ${this.size} bytes encoded, over the limit of ${this.limit}`
      case "field":
        return `Field ${this.key} is ${this.size} bytes encoded, over the limit of ${this.limit}`
      case "session":
        return `Session ${this.sessionId} would hold ${this.size} bytes of data, over the limit of ${this.limit}`
      case "keys":
        return `Session ${this.sessionId} would hold ${this.size} data keys, over the limit of ${this.limit}`
    }
  }
}

/**
 * Input was rejected before anything was read or written: a malformed session id, an empty user
 * id, a negative ttl, an additional field of the wrong type, bad options. `message` says what and
 * where; nothing was changed.
 *
 * @since 0.1.0
 */
export class ValidationError extends Schema.TaggedError<ValidationError>("effect-redisess/ValidationError")(
  "ValidationError",
  { message: Schema.String, cause: Schema.optional(Schema.Defect) }
) {
  /** Builds a `ValidationError` from a Schema `ParseError`, its message from the tree formatter. */
  static fromParseError(what: string, error: ParseResult.ParseError): ValidationError {
    return new ValidationError({
      message: `Invalid ${what}: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
      cause: error
    })
  }
}

/**
 * Stored data could not be decoded (for example a field's schema changed after a deploy): the
 * additional field (`source: "field"`) or data entry (`source: "data"`) named `key`.
 *
 * @since 0.1.0
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("effect-redisess/DecodeError")("DecodeError", {
  sessionId: Schema.String,
  source: Schema.Literal("field", "data"),
  key: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * The errors of reading or writing one session.
 *
 * @since 0.1.0
 */
export type SessionError =
  | RedisError
  | SessionNotFound
  | ValidationError
  | DecodeError
  | SessionLimitReached
  | DataTooLarge
