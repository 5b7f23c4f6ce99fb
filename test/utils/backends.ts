/**
 * The backends the conformance suite runs against: the in-memory fake and a real Redis. Each one
 * provides `RedisClient` and `TestTime`, the way a test moves the store's clock without sleeping
 * (TestClock for the fake, a clock offset for Redis).
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { inject } from "vitest"
import type { RedisError } from "../../src/Errors.js"
import * as RedisLayer from "../../src/RedisLayer.js"

/** Moves the store's clock forward. */
export class TestTime extends Context.Tag("test/TestTime")<TestTime, {
  readonly advance: (seconds: number) => Effect.Effect<void>
}>() {}

/** Moves the store's clock forward by `seconds`. */
export const advance = (seconds: number) => Effect.flatMap(TestTime, (time) => time.advance(seconds))

/** The in-memory fake; its time is the TestClock of the calling test. */
export const memory: Layer.Layer<RedisLayer.RedisClient | TestTime> = Layer.merge(
  RedisLayer.layerMemory,
  Layer.succeed(TestTime, { advance: (seconds) => TestClock.adjust(Duration.millis(seconds * 1000)) })
)

/** Real Redis (the server the global setup chose); its time is the server's clock plus an offset. */
export const redis = (
  options: RedisLayer.StoreOptions = {}
): Layer.Layer<RedisLayer.RedisClient | TestTime, RedisError> =>
  Layer.unwrapEffect(
    Effect.map(Ref.make(0), (offset) =>
      Layer.merge(
        RedisLayer.layer({ ...options, url: inject("redisUrl"), clockOffset: Ref.get(offset) }),
        Layer.succeed(TestTime, { advance: (seconds) => Ref.update(offset, (ms) => ms + seconds * 1000) })
      ))
  )

/** Both backends, by name. */
export const backends: ReadonlyArray<readonly [string, Layer.Layer<RedisLayer.RedisClient | TestTime, RedisError>]> = [
  ["memory", memory],
  ["redis", redis()]
]

let counter = 0
/** A namespace no other test uses (so tests sharing a server never see each other's sessions). */
export const uniqueNamespace = (label = "t"): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`
