/**
 * The wipe fiber: runs every `wipeInterval` on the layer's scope, survives failing runs, and is
 * interrupted when the scope closes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { RedisError } from "../src/Errors.js"
import * as SessionManager from "../src/SessionManager.js"
import { memoryWith } from "./utils/backends.js"

/** The memory store with its wipe counted, and failing on the calls listed in `failOn` (1-based). */
const countingStore = (calls: Ref.Ref<number>, removed: Ref.Ref<number>, failOn: ReadonlyArray<number> = []) =>
  memoryWith((store) => ({
    ...store,
    wipe: Effect.flatMap(Ref.updateAndGet(calls, (n) => n + 1), (call) =>
      failOn.includes(call)
        ? Effect.fail(new RedisError({ message: `wipe ${call} failed on purpose` }))
        : Effect.tap(store.wipe, (n) => Ref.update(removed, (total) => total + n)))
  }))

describe("wipe fiber", () => {
  it.effect("runs every wipeInterval and removes expired sessions", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const removed = yield* Ref.make(0)
      yield* Effect.scoped(Effect.gen(function*() {
        const manager = yield* SessionManager.make({ namespace: "wipe", ttl: 5, wipeInterval: 10 })
        yield* Effect.all(Array.from({ length: 3 }, () => manager.create("u")))
        yield* TestClock.adjust(Duration.seconds(9))
        assert.strictEqual(yield* Ref.get(calls), 0)
        yield* TestClock.adjust(Duration.seconds(1))
        assert.strictEqual(yield* Ref.get(calls), 1)
        assert.strictEqual(yield* Ref.get(removed), 3)
        yield* TestClock.adjust(Duration.seconds(25))
        assert.strictEqual(yield* Ref.get(calls), 3)
      })).pipe(Effect.provide(countingStore(calls, removed)))
    }))

  it.effect("is interrupted when the scope closes", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const removed = yield* Ref.make(0)
      const scope = yield* Scope.make()
      const store = countingStore(calls, removed)
      yield* SessionManager.make({ namespace: "wipe", wipeInterval: 10 }).pipe(
        Scope.extend(scope),
        Effect.provide(store)
      )
      yield* TestClock.adjust(Duration.seconds(30))
      assert.strictEqual(yield* Ref.get(calls), 3)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust(Duration.seconds(100))
      assert.strictEqual(yield* Ref.get(calls), 3)
    }))

  it.effect("is interrupted when the SessionManager layer is released", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const removed = yield* Ref.make(0)
      const live = SessionManager.layer({ namespace: "wipe", wipeInterval: 1 }).pipe(
        Layer.provide(countingStore(calls, removed))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(live)
        yield* TestClock.adjust(Duration.seconds(5))
      }))
      assert.strictEqual(yield* Ref.get(calls), 5)
      yield* TestClock.adjust(Duration.seconds(50))
      assert.strictEqual(yield* Ref.get(calls), 5)
    }))

  it.effect("keeps running after failing runs", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const removed = yield* Ref.make(0)
      yield* Effect.scoped(Effect.gen(function*() {
        const manager = yield* SessionManager.make({ namespace: "wipe", ttl: 1, wipeInterval: 10 })
        yield* manager.create("u")
        yield* TestClock.adjust(Duration.seconds(20))
        assert.strictEqual(yield* Ref.get(calls), 2)
        assert.strictEqual(yield* Ref.get(removed), 0)
        yield* TestClock.adjust(Duration.seconds(10))
        assert.strictEqual(yield* Ref.get(calls), 3)
        assert.strictEqual(yield* Ref.get(removed), 1)
      })).pipe(Effect.provide(countingStore(calls, removed, [1, 2])))
    }))

  it.effect("wipeInterval 0 starts no fiber", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const removed = yield* Ref.make(0)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* SessionManager.make({ namespace: "wipe", wipeInterval: 0 })
        yield* TestClock.adjust(Duration.days(1))
      })).pipe(Effect.provide(countingStore(calls, removed)))
      assert.strictEqual(yield* Ref.get(calls), 0)
    }))
})
