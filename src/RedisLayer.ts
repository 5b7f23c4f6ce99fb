/**
 * The layers that provide the `RedisClient` service (the store port of `SessionStore`): on a Redis
 * server the layer connects to (`layer`, `layerConfig`), on a caller's own ioredis `Redis` or
 * `Cluster` (`layerFromClient`), or in memory (`layerMemory`).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Cluster, Redis } from "ioredis"
import type { RedisOptions } from "ioredis"
import { RedisError, ValidationError } from "./Errors.js"
import * as Durations from "./internal/duration.js"
import * as MemoryStore from "./internal/memoryStore.js"
import { safeCause } from "./internal/redis/redact.js"
import * as RedisStore from "./internal/redis/store.js"
import type { StoreOptions } from "./internal/redis/store.js"
import { RedisClient } from "./SessionStore.js"
import type { RedisClientService } from "./SessionStore.js"

/**
 * The `RedisClient` service tag and its interface (defined with the store port, `SessionStore`).
 *
 * @since 0.1.0
 */
export { RedisClient } from "./SessionStore.js"
export type { RedisClientService } from "./SessionStore.js"

/**
 * Tuning of the Redis store: timeout, batch and page sizes, native TTLs, clock offset for tests.
 *
 * @since 0.1.0
 */
export type { StoreOptions } from "./internal/redis/store.js"

/**
 * Options of {@link layer}: where to connect, ioredis options, and store tuning.
 *
 * @since 0.1.0
 */
export interface ConnectOptions extends StoreOptions {
  /** A `redis://` or `rediss://` URL; ioredis defaults (127.0.0.1:6379) when absent. */
  readonly url?: string | Redacted.Redacted<string>
  /** The password (`AUTH`), over any in `url` or `redis`; unwrapped only to connect. */
  readonly password?: string | Redacted.Redacted<string>
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
  readonly connectTimeout?: Durations.Input
}

/**
 * Refuses an ioredis `keyPrefix`: ioredis would add it to the keys the store hands it, not to those
 * its scripts build, and a namespace's keys would be split between the two.
 */
const noKeyPrefix = (...prefixes: ReadonlyArray<string | undefined>): Effect.Effect<void, ValidationError> =>
  prefixes.every((prefix) => prefix === undefined || prefix === "")
    ? Effect.void
    : Effect.fail(
      new ValidationError({
        message: "Invalid keyPrefix: ioredis's keyPrefix is not supported (the store's scripts build keys " +
          "it would not prefix); give each SessionManager a namespace of its own instead"
      })
    )

/** The `keyPrefix`es ioredis options give (a Cluster's own, and its nodes'; a server's has the first only). */
const keyPrefixesIn = (
  options:
    | {
      readonly keyPrefix?: string | undefined
      readonly redisOptions?: { readonly keyPrefix?: string | undefined } | undefined
    }
    | undefined
): ReadonlyArray<string | undefined> => [options?.keyPrefix, options?.redisOptions?.keyPrefix]

/**
 * Makes the service on an ioredis client the caller owns (it is neither connected nor closed here),
 * or fails with a `ValidationError` naming an option that is wrong (a batch size of 0, say, or a
 * client with a `keyPrefix`).
 *
 * @since 0.1.0
 */
export const make = (
  client: Redis | Cluster,
  options: StoreOptions = {}
): Effect.Effect<RedisClientService, ValidationError> =>
  Effect.flatMap(
    RedisStore.tuning(options),
    (tuned) =>
      Effect.map(
        // a client without options (a test's fake) has none
        noKeyPrefix(...keyPrefixesIn((client as { readonly options?: Cluster["options"] }).options)),
        () => RedisStore.make(client, options, tuned)
      )
  )

/**
 * Connects a new ioredis client: acquired in the scope (quit when it closes), checked with a PING
 * so that start-up fails fast with a `RedisError` when Redis does not answer.
 *
 * @since 0.1.0
 */
export const connect = (
  options: ConnectOptions = {}
): Effect.Effect<Redis | Cluster, RedisError | ValidationError, Scope.Scope> =>
  Effect.flatMap(
    Durations.option("connectTimeout", options.connectTimeout, Duration.seconds(5), { infinite: true }),
    (timeout) => connectWithin(options, timeout)
  )

/**
 * Where a client connects, to name in an error: the host and port (or socket path) and database
 * ioredis read from the URL, never its credentials or its other options.
 */
const describe = ({ options }: Redis): string =>
  `${options.tls === undefined ? "redis" : "rediss"}://${options.path ?? `${options.host}:${options.port}`}${
    options.db ? `/${options.db}` : ""
  }`

const connectWithin = (
  options: ConnectOptions,
  timeout: Duration.Duration
): Effect.Effect<Redis | Cluster, RedisError | ValidationError, Scope.Scope> => {
  const url = options.url === undefined
    ? undefined
    : typeof options.url === "string"
    ? options.url
    : Redacted.value(options.url)
  return Effect.gen(function*() {
    let lastError: unknown = undefined
    const password = options.password === undefined
      ? {}
      : { password: typeof options.password === "string" ? options.password : Redacted.value(options.password) }
    const redisOptions: Omit<RedisOptions, "replyMapping"> = {
      ...connectionDefaults,
      ...options.redis,
      ...password,
      lazyConnect: true
    }
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const client: Redis | Cluster = options.cluster !== undefined
            ? new Cluster([...options.cluster.nodes], {
              ...options.cluster.options,
              redisOptions: { ...options.cluster.options?.redisOptions, ...password },
              lazyConnect: true
            })
            : url === undefined
            ? new Redis(redisOptions)
            : new Redis(url, redisOptions)
          // failures reach callers as rejected commands; without a listener ioredis would also log them
          client.on("error", (error: unknown) => {
            lastError = error
          })
          return client
        },
        // ioredis's own error would hold the whole URL, password and all
        catch: () => new ValidationError({ message: "Invalid Redis URL: ioredis cannot read it" })
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
    const where = options.cluster !== undefined
      ? `the Redis Cluster at ${options.cluster.nodes.map((n) => `${n.host}:${n.port}`).join(", ")}`
      : url === undefined
      ? "Redis"
      : `Redis at ${describe(client as Redis)}`
    // why the connection failed (ECONNREFUSED, ENOTFOUND, a TLS or auth error) reaches the socket's
    // error event; the rejected connect itself only says "Connection is closed."
    const reason = (cause: unknown) => {
      const why = lastError ?? cause
      return why instanceof Error ? `: ${why.message}` : ""
    }
    yield* Effect.tryPromise({
      try: async () => {
        await client.connect()
        await client.ping()
      },
      catch: (cause) =>
        new RedisError({
          message: `Failed to connect to ${where}${reason(cause)}`,
          cause: safeCause(lastError ?? cause)
        })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new RedisError({
            message: `${where} did not answer within ${Duration.format(timeout)}${reason(undefined)}`
          })
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

/**
 * A layer that connects to Redis and quits when released.
 *
 * @example
 * import { RedisLayer } from "effect-redisess"
 * const RedisLive = RedisLayer.layer({ url: "redis://127.0.0.1:6379" })
 *
 * @since 0.1.0
 */
export const layer = (options: ConnectOptions = {}): Layer.Layer<RedisClient, RedisError | ValidationError> =>
  Layer.scoped(
    RedisClient,
    // the options are checked before anything connects
    Effect.flatMap(
      Effect.zipLeft(
        RedisStore.tuning(options),
        noKeyPrefix(options.redis?.keyPrefix, ...keyPrefixesIn(options.cluster?.options))
      ),
      (tuned) => Effect.map(connect(options), (client) => RedisStore.make(client, options, tuned))
    )
  )

/**
 * What {@link layerConfig} reads from `Config`: where to connect and the store's tuning.
 *
 * @since 0.2.0
 */
export interface ConfigOptions {
  readonly url?: string | Redacted.Redacted<string>
  readonly password?: string | Redacted.Redacted<string>
  readonly connectTimeout?: Durations.Input
  readonly timeout?: Durations.Input
  readonly batchSize?: number
  readonly batchTime?: Durations.Input
  readonly pageSize?: number
  readonly nativeTtl?: boolean
  readonly nativeTtlGrace?: Durations.Input
  readonly functions?: boolean
  readonly plainReads?: boolean
  readonly readBatches?: "script" | "commands"
  readonly loneCallsAtOnce?: boolean
}

/**
 * A layer configured from `Config`: each option a `Config` of its own (by default the URL from
 * `REDIS_URL`, redacted). Secrets stay `Redacted` until the connection is made.
 *
 * @example
 * import { Config } from "effect"
 * import { RedisLayer } from "effect-redisess"
 * const RedisLive = RedisLayer.layerConfig() // reads REDIS_URL
 * const Custom = RedisLayer.layerConfig({
 *   url: Config.redacted("SESSIONS_REDIS_URL"),
 *   password: Config.redacted("SESSIONS_REDIS_PASSWORD"),
 *   timeout: Config.duration("SESSIONS_REDIS_TIMEOUT").pipe(Config.withDefault("2 seconds"))
 * })
 *
 * @since 0.1.0
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = { url: Config.redacted("REDIS_URL") },
  options: Omit<ConnectOptions, keyof ConfigOptions> = {}
): Layer.Layer<RedisClient, RedisError | ValidationError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), (read) => layer({ ...options, ...read })))

/**
 * A layer on a `Redis` or `Cluster` instance that the caller created and keeps owning: releasing
 * the layer does not close it.
 *
 * @since 0.1.0
 */
export const layerFromClient = (
  client: Redis | Cluster,
  options: StoreOptions = {}
): Layer.Layer<RedisClient, ValidationError> => Layer.effect(RedisClient, make(client, options))

/**
 * An in-memory fake with the same semantics as Redis (held to the same conformance suite). Time
 * comes from Effect's `Clock`, so `TestClock` drives its expiries. Each build of the layer starts
 * empty. Good for tests and for running an app without Redis; not shared between processes.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<RedisClient> = Layer.effect(RedisClient, MemoryStore.make)
