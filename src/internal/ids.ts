/**
 * Session tokens, session ids and user ids: what they look like, checked fast, and new ones.
 *
 * A token is the secret a client presents: 192 bits from the platform's cryptographic generator,
 * 32 URL-safe base64 characters, after its shard and a dot in a namespace of several shards. A
 * session id is the public handle stored in its place: the first 16 characters (96 bits) of the
 * URL-safe base64 SHA-256 of the token, after the same shard prefix (so a lookup by token goes
 * straight to its shard). Nothing stored can give the token back. Random bytes are drawn 4 KiB at a
 * time (as the `uuid` package does), so one `getRandomValues` call serves many tokens; the pool
 * only ever holds unused bytes.
 */
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"

const tokenBytes = 24
const poolSize = 4096 - (4096 % tokenBytes)
const pool = new Uint8Array(poolSize)
let used = poolSize

/** Fresh random bytes for one token, as URL-safe base64. */
const randomText = (): string => {
  if (used + tokenBytes > poolSize) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  const text = Buffer.from(pool.buffer, used, tokenBytes).toString("base64url")
  used += tokenBytes
  return text
}

/** What a token looks like: 32 URL-safe base64 characters, after a shard number and a dot when sharded. */
export const tokenPattern = /^(?:(?:0|[1-9][0-9]{0,3})\.)?[A-Za-z0-9_-]{32}$/

/**
 * The characters of a session id after its shard prefix: 96 bits, unique beyond any chance of a
 * collision (which `create` refuses anyway) and shorter in every key, index and listing.
 */
export const sessionIdLength = 16

/** What a session id looks like: {@link sessionIdLength} URL-safe base64 characters, after a shard number and a dot when sharded. */
export const sessionIdPattern = new RegExp(`^(?:(?:0|[1-9][0-9]{0,3})\\.)?[A-Za-z0-9_-]{${sessionIdLength}}$`)

/** A lone (unpaired) UTF-16 surrogate: a string holding one is not well-formed Unicode. */
export const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The most UTF-16 code units a user id may have. */
export const maxUserIdLength = 512

/**
 * The checks of the `SessionId` and `UserId` schemas without the schemas: the fast path of the
 * operations' input validation, which falls back to the schema (and its error message) on false.
 */
export const isSessionId = (input: unknown): input is string =>
  typeof input === "string" && sessionIdPattern.test(input)

/** Whether `input` looks like a token (see {@link tokenPattern}). */
export const isToken = (input: unknown): input is string => typeof input === "string" && tokenPattern.test(input)

/** A non-empty, well-formed Unicode string of at most `maxLength` UTF-16 code units. */
export const isWellFormedText = (input: unknown, maxLength: number): input is string =>
  typeof input === "string" && input.length >= 1 && input.length <= maxLength && !loneSurrogate.test(input)

/** See {@link isSessionId}. */
export const isUserId = (input: unknown): input is string => isWellFormedText(input, maxUserIdLength)

/**
 * `Schema.decodeUnknownEither(schema)` with a fast path: input that `guard` (the schema's own
 * checks, as above) accepts is the decoded value itself; anything else goes through the schema,
 * which says what is wrong. For schemas whose decoding changes nothing (refined, branded strings).
 */
export const decodeFast = <A, I>(
  schema: Schema.Schema<A, I>,
  guard: (input: unknown) => boolean
): (input: unknown) => Either.Either<A, ParseResult.ParseError> => {
  const decode = Schema.decodeUnknownEither(schema)
  return (input) => guard(input) ? Either.right(input as A) : decode(input)
}

/** A new token, after its shard and a dot when the namespace has more than one shard. */
export const newToken = (shard: number, shards: number): string => {
  const random = randomText()
  return shards === 1 ? random : `${shard}.${random}`
}

const sha256 = typeof Crypto.hash === "function"
  ? (text: string) => Crypto.hash("sha256", text, "base64url")
  : (text: string) => Crypto.createHash("sha256").update(text).digest("base64url")

/** The session id of a (well-formed) token: its shard prefix, then {@link sessionIdLength} characters of its SHA-256. */
export const idOf = (token: string): string => {
  const dot = token.indexOf(".")
  return (dot < 0 ? "" : token.slice(0, dot + 1)) + sha256(token).slice(0, sessionIdLength)
}
