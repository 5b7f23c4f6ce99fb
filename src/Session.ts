/**
 * A session: an immutable value read from the store, with the seed's derived values (`expiresIn`,
 * `idle`, `valid`). Operations on a session (`read`, `kill`, `write`, data) are the
 * `SessionManager`'s.
 *
 * Times are unix seconds (with millisecond precision) from the store's clock; `ttl` is in seconds
 * and `0` means the session never expires.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import * as Ids from "./internal/ids.js"
import type { SessionId, SessionToken, UserId } from "./Schema.js"

/**
 * The type of additional fields when they are not declared with schemas.
 *
 * @since 0.1.0
 */
export type AnyFields = { readonly [name: string]: unknown }

/**
 * One session as it was when read. It holds the session's public id, never its token: safe to log,
 * list and show.
 *
 * @since 0.1.0
 */
export interface Session<A = AnyFields> {
  /** The public id: safe to show; it never authenticates (see `SessionManager.inspect`, `kill`). */
  readonly sessionId: SessionId
  readonly userId: UserId
  /** Idle time-to-live in seconds; 0 = never expires. */
  readonly ttl: number
  /** Creation time, unix seconds. */
  readonly createdAt: number
  /** Last access, unix seconds. */
  readonly lastAccess: number
  /**
   * When the session ends unless it is accessed again: after its idle ttl, or at its lifetime
   * deadline (`endsAt`) if that comes first. Unix seconds; 0 = never.
   */
  readonly expires: number
  /** The absolute lifetime deadline (`createdAt + maxLifetime`), however active; unix seconds, 0 = none. */
  readonly endsAt: number
  /** The store's time when this value was read, unix seconds. */
  readonly readAt: number
  /** The additional fields, decoded with the manager's schemas. */
  readonly fields: A
}

/**
 * Seconds left until the session expires, as of `now` (default: when it was read). `Infinity` for
 * a session that never expires; never below 0.
 *
 * @since 0.1.0
 */
export const expiresIn = (session: Session<unknown>, now: number = session.readAt): number =>
  session.expires === 0 ? Infinity : Math.max(0, session.expires - now)

/**
 * Seconds since the last access, as of `now` (default: when it was read).
 *
 * @since 0.1.0
 */
export const idle = (session: Session<unknown>, now: number = session.readAt): number =>
  Math.max(0, now - session.lastAccess)

/**
 * Whether the session is still live as of `now` (default: when it was read): it never expires or
 * its expiry is still ahead.
 *
 * @since 0.1.0
 */
export const valid = (session: Session<unknown>, now: number = session.readAt): boolean => expiresIn(session, now) > 0

/**
 * A session just created or rotated, with its token: the secret to hand to the client, this once.
 * `Redacted`, so logging, printing or serialising the value shows `<redacted>`; take it out with
 * `Redacted.value` only to send it (a cookie, a response body).
 *
 * @since 0.2.0
 */
export interface NewSession<A = AnyFields> extends Session<A> {
  readonly token: Redacted.Redacted<SessionToken>
}

/**
 * A token as the operations that authenticate take it: `Redacted` (as the library hands it out) or
 * its plain text (from a cookie or header).
 *
 * @since 0.2.0
 */
export type TokenInput = Redacted.Redacted<string> | string

/**
 * The public id of the session a (well-formed) token belongs to: its shard prefix, then 16
 * characters (96 bits) of the token's SHA-256. What the store keeps instead of the token.
 *
 * @since 0.2.0
 */
export const idOf = (token: SessionToken): SessionId => Ids.idOf(token) as SessionId
