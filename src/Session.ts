/**
 * A session: an immutable value read from the store, with the seed's derived values (`expiresIn`,
 * `idle`, `valid`) and its operations (`read`, `kill`, `write`) as Effect programs.
 *
 * Times are unix seconds (with millisecond precision) from the store's clock; `ttl` is in seconds
 * and `0` means the session never expires.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { DecodeError, RedisError, SessionNotFound, ValidationError } from "./Errors.js"
import type { SessionId, UserId } from "./Schema.js"
import type { DataValue } from "./SessionData.js"
import type { DataReadError, DataWriteError } from "./SessionManager.js"
import { SessionManager } from "./SessionManager.js"
import type { AnyFields } from "./SessionManager.js"

/**
 * One session as it was when read.
 *
 * @since 0.1.0
 */
export interface Session<A = AnyFields> {
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
 * Reads the session again from the store (without touching it), through the `SessionManager`.
 *
 * @example
 * import { Effect } from "effect"
 * import { Session } from "effect-redisess"
 * declare const session: Session.Session
 * const fresh = Session.read(session) // Effect<Session, SessionNotFound | ..., SessionManager>
 *
 * @since 0.1.0
 */
export const read = (
  session: Session<unknown>
): Effect.Effect<Session, SessionNotFound | ValidationError | RedisError | DecodeError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.get(session.sessionId, { noUpdate: true }))

/**
 * Kills the session (removes it and its index entries). Killing a session that is already gone
 * succeeds.
 *
 * @since 0.1.0
 */
export const kill = (session: Session<unknown>): Effect.Effect<void, ValidationError | RedisError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.kill(session.sessionId))

/**
 * Writes additional fields of the session (only those given) and returns the session as stored.
 * Fails with `SessionNotFound`, creating nothing, when the session was killed or has expired.
 *
 * @since 0.1.0
 */
export const write = (
  session: Session<unknown>,
  fields: Partial<AnyFields>
): Effect.Effect<Session, SessionNotFound | ValidationError | RedisError | DecodeError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.write(session.sessionId, fields))

/**
 * Reads one data entry of the session (the seed's `session.get(key)`); `None` when never set.
 * For many keys at once, or typed data, use the manager's `getData` and `data(schemas)`.
 *
 * @since 0.1.0
 */
export const getData = (
  session: Session<unknown>,
  key: string
): Effect.Effect<Option.Option<DataValue>, DataReadError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.getData(session.sessionId, key))

/**
 * Writes data entries of the session in one step (the seed's `session.set(key, value)` and
 * `session.set({...})`); returns how many were written.
 *
 * @since 0.1.0
 */
export const setData = (
  session: Session<unknown>,
  values: Readonly<Record<string, DataValue>>
): Effect.Effect<number, DataWriteError, SessionManager> =>
  Effect.flatMap(SessionManager, (manager) => manager.setData(session.sessionId, values))
