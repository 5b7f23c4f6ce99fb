/**
 * The store port: what the session manager asks of storage, in terms of sessions, and the
 * `RedisClient` service that opens a namespace's store. The Redis driver and the in-memory fake
 * implement it (`RedisLayer` provides them); nothing here knows how either keeps its data.
 *
 * Times are unix milliseconds from the store's clock; ttls and windows are milliseconds
 * (0: never expires, or no window). Expired sessions are never returned, counted or listed, even
 * before a wipe removes them. Each operation is atomic; the bulk ones (`killUser`, `killAll`,
 * `wipe`, and queries that first sweep expired sessions) work in bounded batches.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Option from "effect/Option"
import type { RedisError } from "./Errors.js"
import { ValidationError } from "./Errors.js"

/**
 * One session as stored, under its id (never its token). Additional fields are the manager's
 * encoded values (JSON text) by name.
 *
 * @since 0.2.0
 */
export interface StoredSession {
  readonly sessionId: string
  readonly userId: string
  /** Creation time, unix ms. */
  readonly createdAt: number
  /** Last access, unix ms. */
  readonly lastAccess: number
  /** Idle time-to-live, ms; 0 = never expires. */
  readonly ttl: number
  /** Expiry, unix ms: idle ttl or lifetime deadline, whichever comes first; 0 = never. */
  readonly expires: number
  /** The absolute lifetime deadline, unix ms; 0 = none. */
  readonly deadline: number
  /** The declared additional fields the session has, by name, as stored. */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * A session as read, with the store's time of the read (unix ms).
 *
 * @since 0.2.0
 */
export interface SessionRead {
  readonly now: number
  readonly session: StoredSession
}

/**
 * A session just made (by `create` or `rotate`): its token, handed out this once (the store keeps
 * only the id derived from it), and the session.
 *
 * @since 0.2.0
 */
export interface NewSession {
  readonly token: string
  readonly read: SessionRead
}

/**
 * The result of `SessionStore.create`: the new session, or refused because its user is at the
 * session limit and the policy is to refuse.
 *
 * @since 0.2.0
 */
export type CreateResult =
  | { readonly _tag: "Created"; readonly created: NewSession }
  | { readonly _tag: "LimitReached" }

/**
 * The result of `SessionStore.dataSet`: `written` entries, or refused because the session's data
 * would grow to `size` bytes (`TooLarge`) or `count` keys (`TooMany`), past its limit.
 *
 * @since 0.2.0
 */
export type DataSetResult =
  | { readonly _tag: "Written"; readonly written: number }
  | { readonly _tag: "TooLarge"; readonly size: number }
  | { readonly _tag: "TooMany"; readonly count: number }

/**
 * The limits a data write keeps a session's data within (0: no limit): bytes of keys and values,
 * and how many keys.
 *
 * @since 0.2.0
 */
export interface DataSetLimits {
  readonly maxBytes: number
  readonly maxKeys: number
}

/**
 * What to list: session ids, user ids, or one user's session ids, accessed within the last
 * `windowMs` milliseconds (0: all), oldest first.
 *
 * @since 0.2.0
 */
export type ListQuery =
  | { readonly index: "sessions"; readonly windowMs: number }
  | { readonly index: "users"; readonly windowMs: number }
  | { readonly index: "userSessions"; readonly userId: string; readonly windowMs: number }

/**
 * The storage operations of one namespace. Ids and user ids reach it validated.
 *
 * @since 0.2.0
 */
export interface SessionStore {
  /** The store's time, unix ms. */
  readonly now: Effect.Effect<number, RedisError>
  /**
   * Stores a new session under a new token the store makes (the session's id is derived from it),
   * with its additional fields (name, encoded value). With `limit`, first makes the user's live
   * sessions fewer than `limit.max` by evicting the least recently accessed ones, or refuses (per
   * policy), in bounded steps however many sessions the user has.
   */
  readonly create: (input: {
    readonly userId: string
    /** Idle ttl, ms; 0 = none. */
    readonly ttl: number
    /** Absolute lifetime from creation, ms; 0 = none. */
    readonly lifetime: number
    readonly limit?: { readonly max: number; readonly policy: "evict" | "refuse" }
    readonly fields: ReadonlyArray<readonly [name: string, value: string]>
  }) => Effect.Effect<CreateResult, RedisError>
  /**
   * Reads a live session; with `touch`, its last access becomes now and its expiry slides, unless
   * it was accessed less than `touchAfter` ms ago (default 0: always).
   */
  readonly get: (
    sessionId: string,
    touch: boolean,
    touchAfter?: number
  ) => Effect.Effect<Option.Option<SessionRead>, RedisError>
  /** True when the session is live. */
  readonly exists: (sessionId: string) => Effect.Effect<boolean, RedisError>
  /** Writes additional fields of a live session (without touching it); `None` when it is not live. */
  readonly update: (
    sessionId: string,
    fields: ReadonlyArray<readonly [name: string, value: string]>
  ) => Effect.Effect<Option.Option<SessionRead>, RedisError>
  /**
   * Moves a live session to a new token the store makes (touching it), with its data, creation
   * time and index entries; the old token and id are dead in the same step, and a `kill` of the
   * old id that races it kills the session under its new id. `None` when the session is not live.
   */
  readonly rotate: (sessionId: string) => Effect.Effect<Option.Option<NewSession>, RedisError>
  /**
   * Kills every other session of the session's user, in bounded batches (sessions the user creates
   * meanwhile may survive); `None` when the session is not live.
   */
  readonly killOthers: (sessionId: string) => Effect.Effect<Option.Option<number>, RedisError>
  /**
   * Writes data entries (key, encoded value) of a live session, keeping its data within `limits`
   * (nothing written when it would pass one). `None` when the session is not live.
   */
  readonly dataSet: (
    sessionId: string,
    entries: ReadonlyArray<readonly [key: string, value: string]>,
    limits: DataSetLimits
  ) => Effect.Effect<Option.Option<DataSetResult>, RedisError>
  /** Reads data entries of a live session (`undefined` for keys never set); `None` when not live. */
  readonly dataGet: (
    sessionId: string,
    keys: ReadonlyArray<string>
  ) => Effect.Effect<Option.Option<ReadonlyArray<string | undefined>>, RedisError>
  /** Every data entry of a live session; `None` when not live. */
  readonly dataGetAll: (
    sessionId: string
  ) => Effect.Effect<Option.Option<ReadonlyArray<readonly [key: string, value: string]>>, RedisError>
  /** Removes data entries of a live session; returns how many existed. `None` when not live. */
  readonly dataRemove: (
    sessionId: string,
    keys: ReadonlyArray<string>
  ) => Effect.Effect<Option.Option<number>, RedisError>
  /**
   * Removes a session and its index entries; true when it was live. An id the session had before
   * a recent `rotate` reaches it under its new id.
   */
  readonly kill: (sessionId: string) => Effect.Effect<boolean, RedisError>
  /** Removes every session of a user; returns how many live ones were removed. */
  readonly killUser: (userId: string) => Effect.Effect<number, RedisError>
  /** Removes every session of the namespace; returns how many live ones were removed. */
  readonly killAll: Effect.Effect<number, RedisError>
  /** Removes expired sessions; returns how many. */
  readonly wipe: Effect.Effect<number, RedisError>
  /** Counts live sessions (of one user when `userId` is given) accessed within `windowMs` (0: all). */
  readonly count: (query: { readonly userId?: string; readonly windowMs: number }) => Effect.Effect<number, RedisError>
  /** Lists ids, oldest access first. */
  readonly list: (query: ListQuery) => Effect.Effect<ReadonlyArray<string>, RedisError>
  /** The user's least recently accessed live session (touched when asked). */
  readonly oldest: (userId: string, touch: boolean) => Effect.Effect<Option.Option<SessionRead>, RedisError>
  /**
   * Many calls of one operation run together, as one effect: the same results as each call alone
   * (`exists`, `get` without a touch, `dataGet`, `dataSet`), in order, each a failure of its own
   * (one call failing fails no other). What lets a caller with many concurrent calls (`PromiseApi.ts`)
   * pay for one effect, not one per call.
   */
  readonly many: ManyOps
}

/**
 * Calls of one operation made together (see `SessionStore.many`); each result is that of the call
 * alone, an error included.
 *
 * @since 0.2.0
 */
export interface ManyOps {
  readonly exists: (
    sessionIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Either.Either<boolean, RedisError>>>
  /** Reads without touching. */
  readonly get: (
    sessionIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Either.Either<Option.Option<SessionRead>, RedisError>>>
  readonly dataGet: (
    calls: ReadonlyArray<DataGetCall>
  ) => Effect.Effect<ReadonlyArray<Either.Either<Option.Option<ReadonlyArray<string | undefined>>, RedisError>>>
  readonly dataSet: (
    calls: ReadonlyArray<DataSetCall>
  ) => Effect.Effect<ReadonlyArray<Either.Either<Option.Option<DataSetResult>, RedisError>>>
}

/**
 * One `dataGet` among many (`ManyOps`): its arguments.
 *
 * @since 0.2.0
 */
export interface DataGetCall {
  readonly sessionId: string
  readonly keys: ReadonlyArray<string>
}

/**
 * One `dataSet` among many (`ManyOps`): its arguments.
 *
 * @since 0.2.0
 */
export interface DataSetCall {
  readonly sessionId: string
  readonly entries: ReadonlyArray<readonly [key: string, value: string]>
  readonly limits: DataSetLimits
}

/**
 * `ManyOps` made of a store's single calls, one after another: for stores whose calls cost
 * nothing to start (the in-memory one).
 *
 * @since 0.2.0
 */
export const manyOneByOne = (
  store: Omit<SessionStore, "many">
): ManyOps => ({
  exists: (ids) => Effect.forEach(ids, (id) => Effect.either(store.exists(id))),
  get: (ids) => Effect.forEach(ids, (id) => Effect.either(store.get(id, false))),
  dataGet: (calls) => Effect.forEach(calls, ({ keys, sessionId }) => Effect.either(store.dataGet(sessionId, keys))),
  dataSet: (calls) =>
    Effect.forEach(
      calls,
      ({ entries, limits, sessionId }) => Effect.either(store.dataSet(sessionId, entries, limits))
    )
})

/**
 * What a store is opened with: the (validated) namespace, the shard count it is spread over, the
 * manager's default ttl (ms) and the names of the additional fields reads return.
 *
 * @since 0.2.0
 */
export interface StoreConfig {
  readonly namespace: string
  readonly shards: number
  readonly defaultTtl: number
  readonly fieldNames: ReadonlyArray<string>
}

/**
 * The `RedisClient` service: opens the store of a namespace.
 *
 * @since 0.1.0
 */
export interface RedisClientService {
  /**
   * Opens a namespace's store. A namespace keeps the shard count it was first opened with: opening
   * it with another fails with a `ValidationError` rather than split its sessions.
   */
  readonly open: (config: StoreConfig) => Effect.Effect<SessionStore, RedisError | ValidationError>
}

/**
 * The tag of the `RedisClient` service (provided by the layers of `RedisLayer`).
 *
 * @since 0.1.0
 */
export class RedisClient extends Context.Tag("effect-redisess/RedisClient")<RedisClient, RedisClientService>() {}

/**
 * How long after a `rotate` a `kill` of the session's old id still reaches it (ms): any kill that
 * raced the rotation, or was issued from a listing read just before it.
 *
 * @since 0.2.0
 */
export const rotatedIdReach = 10 * 60 * 1000

/**
 * The error of opening a namespace with another shard count than the one it holds data in.
 *
 * @since 0.2.0
 */
export const shardsMismatch = (namespace: string, recorded: number, requested: number): ValidationError =>
  new ValidationError({
    message: `Invalid shards: namespace ${namespace} holds data spread over ${recorded} shard(s), and ` +
      `this manager was started with ${requested}. Changing shards would split its sessions: start it with ` +
      `shards: ${recorded}, or use a new namespace.`
  })
