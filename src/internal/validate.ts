/**
 * Input checks as effects: a schema's decoded value, or a `ValidationError` naming what was wrong.
 * The ids every operation takes are checked here, with a fast path for well-formed input.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { ValidationError } from "../Errors.js"
import * as S from "../Schema.js"
import * as Ids from "./ids.js"

/** `decode`'s value as an effect, or a `ValidationError` naming `what` was wrong. */
export const validateWith =
  <A>(decode: (input: unknown) => Either.Either<A, ParseResult.ParseError>, what: string) =>
  (input: unknown): Effect.Effect<A, ValidationError> =>
    Either.match(decode(input), {
      onLeft: (error) => Effect.fail(ValidationError.fromParseError(what, error)),
      onRight: Effect.succeed
    })

/** Decodes input with `schema`, or fails with a `ValidationError` naming `what`. */
export const validate = <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  validateWith(Schema.decodeUnknownEither(schema), what)

/** A session id decoded (well-formed ones skip the schema's machinery). */
export const decodeSessionId = Ids.decodeFast(S.SessionId, Ids.isSessionId)

/**
 * A session id, or a `ValidationError` without the schema's error as its cause: the input may be a
 * token passed by mistake, and the cause would carry it into any log of the error.
 */
export const sessionId = (input: unknown): Effect.Effect<S.SessionId, ValidationError> =>
  Either.match(decodeSessionId(input), {
    onLeft: (error) =>
      Effect.fail(
        new ValidationError({ message: `Invalid session id: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
      ),
    onRight: Effect.succeed
  })

/** A user id, or a `ValidationError`. */
export const userId = validateWith(Ids.decodeFast(S.UserId, Ids.isUserId), "user id")

/**
 * The operation `f` builds on a session id, once the id is valid. A well-formed id skips one step
 * of the effect too: every operation by id starts here.
 */
export const withSessionId = <A, E>(
  id: string,
  f: (id: S.SessionId) => Effect.Effect<A, E>
): Effect.Effect<A, E | ValidationError> =>
  Ids.isSessionId(id) ? f(id as S.SessionId) : Effect.flatMap(sessionId(id), f)

const invalidToken = () =>
  new ValidationError({
    message: "Invalid session token: a session token is 32 characters of A-Z a-z 0-9 _ -, after a shard " +
      `number and a dot when sharded (a session id, ${Ids.sessionIdLength} characters, never authenticates)`
  })

/**
 * The id of a token's session, or a `ValidationError` that never shows the token. A token comes
 * `Redacted` or as plain text.
 */
export const tokenId = (token: unknown): Either.Either<S.SessionId, ValidationError> => {
  const text = Redacted.isRedacted(token) ? Redacted.value(token) : token
  return Ids.isToken(text) ? Either.right(Ids.idOf(text) as S.SessionId) : Either.left(invalidToken())
}

/** The operation `f` builds on the id of a token's session, once the token is valid. */
export const withToken = <A, E>(
  token: unknown,
  f: (id: S.SessionId) => Effect.Effect<A, E>
): Effect.Effect<A, E | ValidationError> => {
  const id = tokenId(token)
  return Either.isRight(id) ? f(id.right) : Effect.fail(id.left)
}
