/**
 * The backends the conformance suite runs against: the in-memory fake and a real Redis. Each one
 * provides `RedisClient` and `TestTime`, the way a test moves the store's clock without sleeping
 * (TestClock for the fake, a clock offset for Redis).
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { inject } from "vitest"
import type { RedisError, ValidationError } from "../../src/Errors.js"
import * as RedisLayer from "../../src/RedisLayer.js"
import * as SessionManager from "../../src/SessionManager.js"
import type { SessionStore, StoreConfig } from "../../src/SessionStore.js"

/** What a backend tells the tests: how to move the store's clock, and the shard count to use. */
export class TestTime extends Context.Tag("test/TestTime")<TestTime, {
  readonly advance: (seconds: number) => Effect.Effect<void>
  readonly shards: number
  /** Whether the store's clock stands still between calls (TestClock), so a test can land on an exact instant. */
  readonly exact: boolean
}>() {}

/** Moves the store's clock by `seconds` (back when negative). */
export const advance = (seconds: number) => Effect.flatMap(TestTime, (time) => time.advance(seconds))

/** `SessionManager.make` with the backend's shard count (unless the options give one). */
export const makeManager = <F extends SessionManager.FieldSchemas = SessionManager.NoFields>(
  options: SessionManager.Options<F>
) => Effect.flatMap(TestTime, ({ shards }) => SessionManager.make<F>({ shards, ...options }))

/** The in-memory fake; its time is the TestClock of the calling test. */
export const memory: Layer.Layer<RedisLayer.RedisClient | TestTime> = Layer.merge(
  RedisLayer.layerMemory,
  Layer.succeed(TestTime, {
    // back in time too: a clock stepped back, or another app instance's clock behind this one's
    advance: (seconds) =>
      seconds >= 0
        ? TestClock.adjust(Duration.millis(seconds * 1000))
        : Effect.flatMap(Clock.currentTimeMillis, (now) => TestClock.setTime(now + seconds * 1000)),
    shards: 1,
    exact: true
  })
)

/**
 * Real Redis (the server the global setup chose); its time is the server's clock plus an offset.
 * Managers made with `makeManager` spread their namespace over `shards` hash slots.
 */
export const redis = (
  options: RedisLayer.StoreOptions = {},
  shards = 1
): Layer.Layer<RedisLayer.RedisClient | TestTime, RedisError | ValidationError> =>
  Layer.unwrapEffect(
    Effect.map(Ref.make(0), (offset) =>
      Layer.merge(
        RedisLayer.layer({ ...options, url: inject("redisUrl"), clockOffset: Ref.get(offset) }),
        Layer.succeed(TestTime, {
          advance: (seconds) => Ref.update(offset, (ms) => ms + seconds * 1000),
          shards,
          exact: false
        })
      ))
  )

/**
 * The in-memory fake with each namespace's store changed by `change` as it is opened (a store
 * failing or counting on purpose, say).
 */
export const memoryWith = (
  change: (store: SessionStore) => SessionStore
): Layer.Layer<RedisLayer.RedisClient> =>
  Layer.effect(
    RedisLayer.RedisClient,
    Effect.map(RedisLayer.RedisClient, (inner) => ({
      open: (config: StoreConfig) => Effect.map(inner.open(config), change)
    }))
  ).pipe(Layer.provide(RedisLayer.layerMemory))

/** A local 3-master Redis Cluster (started by the global setup), with a namespace over 16 shards. */
export const cluster = (shards = 16): Layer.Layer<RedisLayer.RedisClient | TestTime, RedisError | ValidationError> =>
  Layer.unwrapEffect(
    Effect.map(Ref.make(0), (offset) =>
      Layer.merge(
        RedisLayer.layer({
          cluster: { nodes: inject("clusterPorts").map((port) => ({ host: "127.0.0.1", port })) },
          clockOffset: Ref.get(offset)
        }),
        Layer.succeed(TestTime, {
          advance: (seconds) => Ref.update(offset, (ms) => ms + seconds * 1000),
          shards,
          exact: false
        })
      ))
  )

/** The backends the conformance suite runs on, by name (the cluster when one could be started). */
export const backends: ReadonlyArray<
  readonly [string, Layer.Layer<RedisLayer.RedisClient | TestTime, RedisError | ValidationError>]
> = [
  ["memory", memory],
  ["redis", redis()],
  // reads by script here (elsewhere plain HMGETs), so both ways are held to the suite
  ["redis, no native TTLs, reads by script", redis({ nativeTtl: false, plainReads: false })],
  // and many reads of a turn as one call of the reads function (elsewhere HMGETs between two TIMEs)
  ["redis, 4 shards, read batches by script", redis({ readBatches: "script" }, 4)],
  ["redis, scripts by EVALSHA", redis({ functions: false })],
  ...(inject("clusterPorts").length > 0 ? [["cluster of 3, 16 shards", cluster()] as const] : [])
]

let counter = 0
/** A namespace no other test uses (so tests sharing a server never see each other's sessions). */
export const uniqueNamespace = (label = "t"): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`
