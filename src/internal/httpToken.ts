/**
 * Session tokens at the HTTP boundary: which strings may be tokens, and where in a request they are.
 * Pure functions; the module that imports `@effect/platform` is `Http.ts`.
 */
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as S from "../Schema.js"

const isToken = Schema.is(S.SessionToken)

/** A token is at most this long (a 4-digit shard, a dot, 32 characters); longer is refused untried. */
const maxTokenLength = 37

/**
 * A well-formed token, `Redacted` so that it never reaches a log; `None` for a missing, empty,
 * too long or otherwise malformed one.
 */
export const parse = (raw: string | undefined): Option.Option<Redacted.Redacted<S.SessionToken>> =>
  raw !== undefined && raw.length <= maxTokenLength && isToken(raw)
    ? Option.some(Redacted.make(raw))
    : Option.none()

/** Generous bound on an `Authorization` header worth looking at (a bearer token is at most 37 characters). */
const maxAuthorizationLength = 256
const bearerPattern = /^Bearer +(\S+) *$/i

/** The credentials of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export const bearer = (authorization: string | undefined): string | undefined => {
  if (authorization === undefined || authorization.length > maxAuthorizationLength) return undefined
  return bearerPattern.exec(authorization)?.[1]
}

/** RFC 6265 cookie names are HTTP tokens. */
export const isCookieName = (name: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/.test(name)
