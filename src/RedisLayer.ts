/**
 * The `RedisClient` service: the storage operations the session manager needs, and the layers that
 * provide it: on a Redis server the layer connects to (`layer`, `layerConfig`), on a caller's own
 * ioredis `Redis` or `Cluster` (`layerFromClient`), or in memory (`layerMemory`).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Cluster, Redis } from "ioredis"
import type { RedisOptions } from "ioredis"
import { RedisError } from "./Errors.js"
import * as MemoryStore from "./internal/memoryStore.js"
import * as RedisStore from "./internal/redisStore.js"

/**
 * A session as read from the store: its fields (decoded with `Schema.SessionHash`) and the
 * store's time of the read, in unix ms.
 *
 * @since 0.1.0
 */
export interface StoredRead {
  readonly now: number
  readonly hash: Readonly<Record<string, string>>
}

/**
 * The result of `SessionStore.create`: created at `now` (after evicting `evicted` sessions of the
 * user), or refused because the user is at the session limit.
 *
 * @since 0.1.0
 */
export type CreateResult =
  | { readonly _tag: "Created"; readonly now: number; readonly evicted: number }
  | { readonly _tag: "LimitReached" }

/**
 * The result of `SessionStore.dataSet`: `written` entries, or refused because the session's data
 * would grow to `size` bytes, past the limit.
 *
 * @since 0.1.0
 */
export type DataSetResult =
  | { readonly _tag: "Written"; readonly written: number }
  | { readonly _tag: "TooLarge"; readonly size: number }

/**
 * What to list: session ids, user ids, or one user's session ids, accessed within the last
 * `windowMs` milliseconds (0: all), oldest first.
 *
 * @since 0.1.0
 */
export type ListQuery =
  | { readonly index: "sessions"; readonly windowMs: number }
  | { readonly index: "users"; readonly windowMs: number }
  | { readonly index: "userSessions"; readonly userId: string; readonly windowMs: number }

/**
 * How a namespace is laid out, recorded in Redis on first use: over how many hash slots it is
 * spread, and its regular ttl (ms; 0: none), the idle ttl whose sessions need no expiry index
 * entry (the manager's default ttl when the namespace was first used).
 *
 * @since 0.1.0
 */
export interface StoreLayout {
  readonly shards: number
  readonly regularTtl: number
}

/**
 * The storage operations of one namespace. Each is atomic; on Redis each is one script (one round
 * trip), except the bulk ones (`killUser`, `killAll`, `wipe`, and queries that first sweep expired
 * sessions), which work in bounded batches so Redis is never blocked for long.
 *
 * Times are unix milliseconds from the store's clock; ttl is in milliseconds (0: never expires).
 * Expired sessions are never returned, counted or listed, even before a wipe removes them.
 *
 * @since 0.1.0
 */
export interface SessionStore {
  /** The store's time, unix ms. */
  readonly now: Effect.Effect<number, RedisError>
  /**
   * Stores a new session with its hash fields. With `limit`, first makes the user's live sessions
   * fewer than `limit.max` by evicting the least recently accessed ones, or refuses (per policy).
   */
  readonly create: (input: {
    readonly sessionId: string
    readonly userId: string
    /** Idle ttl, ms; 0 = none. */
    readonly ttl: number
    /** Absolute lifetime from creation, ms; 0 = none. */
    readonly lifetime: number
    readonly limit?: { readonly max: number; readonly policy: "evict" | "refuse" }
    readonly fields: ReadonlyArray<readonly [name: string, value: string]>
  }) => Effect.Effect<CreateResult, RedisError>
  /** Reads a live session; with `touch`, its last access becomes now and its expiry slides. */
  readonly get: (sessionId: string, touch: boolean) => Effect.Effect<Option.Option<StoredRead>, RedisError>
  /** True when the session is live. */
  readonly exists: (sessionId: string) => Effect.Effect<boolean, RedisError>
  /** Writes hash fields of a live session (without touching it); `None` when it is not live. */
  readonly update: (
    sessionId: string,
    fields: ReadonlyArray<readonly [name: string, value: string]>
  ) => Effect.Effect<Option.Option<StoredRead>, RedisError>
  /**
   * Moves a live session to `newSessionId` (touching it), with its data, creation time and index
   * entries; the old id is dead in the same step. `None` when the session is not live.
   */
  readonly rotate: (sessionId: string, newSessionId: string) => Effect.Effect<Option.Option<StoredRead>, RedisError>
  /** Kills every other session of the session's user; `None` when the session is not live. */
  readonly killOthers: (sessionId: string) => Effect.Effect<Option.Option<number>, RedisError>
  /**
   * Writes data entries (key, encoded value) of a live session, keeping its data size (bytes of
   * keys and values) within `maxBytes` (0: no limit). `None` when the session is not live.
   */
  readonly dataSet: (
    sessionId: string,
    entries: ReadonlyArray<readonly [key: string, value: string]>,
    maxBytes: number
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
  /** Removes a session and its index entries; true when it was live. */
  readonly kill: (sessionId: string) => Effect.Effect<boolean, RedisError>
  /** Removes every session of a user; returns how many were removed. */
  readonly killUser: (userId: string) => Effect.Effect<number, RedisError>
  /** Removes every session of the namespace; returns how many were removed. */
  readonly killAll: Effect.Effect<number, RedisError>
  /** Removes expired sessions; returns how many. */
  readonly wipe: Effect.Effect<number, RedisError>
  /** Counts live sessions (of one user when `userId` is given) accessed within `windowMs` (0: all). */
  readonly count: (query: { readonly userId?: string; readonly windowMs: number }) => Effect.Effect<number, RedisError>
  /** Lists ids, oldest access first. */
  readonly list: (query: ListQuery) => Effect.Effect<ReadonlyArray<string>, RedisError>
  /** The user's least recently accessed live session (touched when asked). */
  readonly oldest: (
    userId: string,
    touch: boolean
  ) => Effect.Effect<Option.Option<StoredRead & { readonly sessionId: string }>, RedisError>
}

/**
 * The `RedisClient` service: gives the session store of a namespace.
 *
 * @since 0.1.0
 */
export interface RedisClientService {
  /**
   * Records a (validated) namespace's layout when it has none and returns the recorded one, so
   * that a manager started with another shard count can refuse to run rather than split the data.
   */
  readonly layout: (namespace: string, requested: StoreLayout) => Effect.Effect<StoreLayout, RedisError>
  /**
   * The store of one (already validated) namespace with this layout. Open it with the layout
   * `layout` returns: a store opened with another regular ttl misreads where sessions are indexed.
   * Reads return the additional fields `fieldNames` names (default none); the in-memory store
   * returns every field it has.
   */
  readonly store: (namespace: string, layout: StoreLayout, fieldNames?: ReadonlyArray<string>) => SessionStore
}

/**
 * The tag of the `RedisClient` service.
 *
 * @since 0.1.0
 */
export class RedisClient extends Context.Tag("effect-redisess/RedisClient")<RedisClient, RedisClientService>() {}

/**
 * Tuning shared by the Redis layers.
 *
 * @since 0.1.0
 */
export interface StoreOptions {
  /**
   * How long one Redis call may take before the operation fails with a `RedisError` whose
   * `timeout` is true. Bulk operations (wipe, killUser, killAll, listings) are several calls, each
   * bounded by it. Default 2 seconds.
   */
  readonly timeout?: Duration.DurationInput
  /**
   * Sessions handled per script call by the wipe, killUser, killAll and query sweeps. Default 200
   * (about 5 ms of Redis time per call).
   */
  readonly batchSize?: number
  /** Ids returned per script call when listing. Default 1000. */
  readonly pageSize?: number
  /**
   * Whether session and index keys get native Redis TTLs: the safety net that frees a session's
   * storage when no wipe runs. Default `true`. With `false`, keys never expire by themselves (as in
   * redisess): expired sessions are still never returned, and the wipe (which every
   * `SessionManager` runs every minute by default) frees them. That saves about 40 bytes per key,
   * 45 to 85 per session (see the README's Benchmarks), and a few commands per create; TTLs left by
   * the default are removed as sessions are touched.
   */
  readonly nativeTtl?: boolean
  /**
   * How far past its logical expiry a key's native Redis TTL may reach, with `nativeTtl`.
   * Default 10 minutes.
   */
  readonly nativeTtlGrace?: Duration.DurationInput
  /**
   * Milliseconds added to the Redis server's clock, read on every operation. For tests that move
   * time without sleeping; leave it out in production.
   */
  readonly clockOffset?: Effect.Effect<number>
}

/**
 * Options of {@link layer}: where to connect, ioredis options, and store tuning.
 *
 * @since 0.1.0
 */
export interface ConnectOptions extends StoreOptions {
  /** A `redis://` or `rediss://` URL; ioredis defaults (127.0.0.1:6379) when absent. */
  readonly url?: string | Redacted.Redacted<string>
  /** ioredis options (host, port, password, tls, sentinels, ...). */
  readonly redis?: Omit<RedisOptions, "replyMapping">
  /**
   * Connect to a Redis Cluster through these seed nodes instead of one server (`url` and `redis`
   * are then ignored). Give the `SessionManager` a `shards` count to spread a namespace over it.
   */
  readonly cluster?: {
    readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
    readonly options?: ConstructorParameters<typeof Cluster>[1]
  }
  /** How long start-up may take before it fails with a `RedisError`. Default 5 seconds. */
  readonly connectTimeout?: Duration.DurationInput
}

/**
 * Makes the service on an ioredis client the caller owns (it is neither connected nor closed here).
 *
 * @since 0.1.0
 */
export const make = (client: Redis | Cluster, options: StoreOptions = {}): RedisClientService =>
  RedisStore.make(client, options)

/**
 * Connects a new ioredis client: acquired in the scope (quit when it closes), checked with a PING
 * so that start-up fails fast with a `RedisError` when Redis does not answer.
 *
 * @since 0.1.0
 */
export const connect = (
  options: ConnectOptions = {}
): Effect.Effect<Redis | Cluster, RedisError, Scope.Scope> => {
  const timeout = Duration.decode(options.connectTimeout ?? Duration.seconds(5))
  const url = options.url === undefined
    ? undefined
    : typeof options.url === "string"
    ? options.url
    : Redacted.value(options.url)
  const where = options.cluster !== undefined
    ? `the Redis Cluster at ${options.cluster.nodes.map((n) => `${n.host}:${n.port}`).join(", ")}`
    : url === undefined
    ? "Redis"
    : `Redis at ${redactUrl(url)}`
  return Effect.gen(function*() {
    const redisOptions: Omit<RedisOptions, "replyMapping"> = {
      ...connectionDefaults,
      ...options.redis,
      lazyConnect: true
    }
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client: Redis | Cluster = options.cluster !== undefined
          ? new Cluster([...options.cluster.nodes], { ...options.cluster.options, lazyConnect: true })
          : url === undefined
          ? new Redis(redisOptions)
          : new Redis(url, redisOptions)
        // failures reach callers as rejected commands; without a listener ioredis would also log them
        client.on("error", () => {})
        return client
      }),
      (client) =>
        client.status === "ready"
          ? Effect.promise(() =>
            new Promise<void>((resolve) => {
              // quit lets in-flight commands finish; give up waiting after 2 s and drop the socket
              const timer = setTimeout(() => {
                client.disconnect()
                resolve()
              }, 2000)
              client.once("end", () => {
                clearTimeout(timer)
                resolve()
              })
              client.quit().catch(() => client.disconnect())
            })
          )
          : Effect.sync(() => client.disconnect())
    )
    yield* Effect.tryPromise({
      try: async () => {
        await client.connect()
        await client.ping()
      },
      catch: (cause) => new RedisError({ message: `Failed to connect to ${where}`, cause })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new RedisError({ message: `${where} did not answer within ${Duration.format(timeout)}` })
      })
    )
    return client
  })
}

/**
 * ioredis options `layer` and `connect` use unless `redis` overrides them. While the connection is
 * down, commands fail at once with a `RedisError` instead of waiting in ioredis' offline queue, and
 * commands in flight when it dropped are not sent again after reconnecting: a call that already
 * failed (or timed out) for the caller never runs later behind its back. ioredis reconnects by
 * itself.
 *
 * @since 0.1.0
 */
export const connectionDefaults = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false
} as const satisfies RedisOptions

const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, "//<credentials>@")

/**
 * A layer that connects to Redis and quits when released.
 *
 * @example
 * import { RedisLayer } from "effect-redisess"
 * const RedisLive = RedisLayer.layer({ url: "redis://127.0.0.1:6379" })
 *
 * @since 0.1.0
 */
export const layer = (options: ConnectOptions = {}): Layer.Layer<RedisClient, RedisError> =>
  Layer.scoped(RedisClient, Effect.map(connect(options), (client) => make(client, options)))

/**
 * A layer that reads the Redis URL from config (by default `REDIS_URL`).
 *
 * @example
 * import { Config } from "effect"
 * import { RedisLayer } from "effect-redisess"
 * const RedisLive = RedisLayer.layerConfig() // reads REDIS_URL
 * const Custom = RedisLayer.layerConfig(Config.redacted("SESSIONS_REDIS_URL"))
 *
 * @since 0.1.0
 */
export const layerConfig = (
  url: Config.Config<string | Redacted.Redacted<string>> = Config.redacted("REDIS_URL"),
  options: Omit<ConnectOptions, "url"> = {}
): Layer.Layer<RedisClient, RedisError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(url, (url) => layer({ ...options, url })))

/**
 * A layer on a `Redis` or `Cluster` instance that the caller created and keeps owning: releasing
 * the layer does not close it.
 *
 * @since 0.1.0
 */
export const layerFromClient = (client: Redis | Cluster, options: StoreOptions = {}): Layer.Layer<RedisClient> =>
  Layer.succeed(RedisClient, make(client, options))

/**
 * An in-memory fake with the same semantics as Redis (held to the same conformance suite). Time
 * comes from Effect's `Clock`, so `TestClock` drives its expiries. Each build of the layer starts
 * empty. Good for tests and for running an app without Redis; not shared between processes.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<RedisClient> = Layer.effect(RedisClient, MemoryStore.make)
