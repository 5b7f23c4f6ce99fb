/**
 * Input checks as effects: a schema's decoded value, or a `ValidationError` naming what was wrong.
 * The ids every operation takes are checked here, with a fast path for well-formed input.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
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

/** A session id, or a `ValidationError`. */
export const sessionId = validateWith(decodeSessionId, "session id")

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
