/**
 * The store's call timeouts (`internal/deadlines.ts`): one timer for all calls. These run on the
 * real clock with wide margins (a 40 ms timeout, checked after 250 ms): they check which calls time
 * out and in what order, not how fast.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deadlines from "../src/internal/redis/deadlines.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A garbage collection (the test workers run with `--expose-gc`, see vitest.config.ts): full by default. */
const collectGarbage = (globalThis as { gc?: (options?: { readonly type: "minor" | "major" }) => void }).gc

/** V8's own answer to whether an object was allocated in the young generation (`--allow-natives-syntax`). */
const inYoungGeneration = (object: unknown): boolean =>
  (new Function("object", "return %InYoungGeneration(object)") as (object: unknown) => boolean)(object)

describe("Deadlines", () => {
  it("times out the calls still pending, in the order they started, and never a settled one", async () => {
    const deadlines = Deadlines.make(40)
    const timedOut: Array<string> = []
    const a = deadlines.start(() => timedOut.push("a"))
    const b = deadlines.start(() => timedOut.push("b"))
    const c = deadlines.start(() => timedOut.push("c"))
    deadlines.start(() => timedOut.push("d"))
    assert.isTrue(deadlines.settle(b)) // settled out of order: a is still the oldest
    assert.isTrue(deadlines.settle(a))
    await sleep(250)
    assert.deepStrictEqual(timedOut, ["c", "d"])
    assert.isFalse(deadlines.settle(c)) // too late: the caller drops the result
    assert.isFalse(deadlines.settle(a)) // settled twice: only the first counts
  })

  it("keeps timing calls started after the timer fired, and after the queue emptied", async () => {
    const deadlines = Deadlines.make(40)
    const timedOut: Array<string> = []
    deadlines.start(() => timedOut.push("first"))
    await sleep(20)
    const second = deadlines.start(() => timedOut.push("second"))
    await sleep(250)
    assert.deepStrictEqual(timedOut, ["first", "second"])
    assert.isFalse(deadlines.settle(second))
    const third = deadlines.start(() => timedOut.push("third"))
    assert.isTrue(deadlines.settle(third))
    deadlines.start(() => timedOut.push("fourth"))
    await sleep(250)
    assert.deepStrictEqual(timedOut, ["first", "second", "fourth"])
  })

  it("holds no event-loop reference: a pending call alone does not keep the process alive", () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length
    const deadlines = Deadlines.make(60_000)
    const pending = deadlines.start(() => {})
    const during = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length
    deadlines.settle(pending)
    assert.strictEqual(during, before)
  })

  it("lets go of a settled call's callback, even while an older call is still pending", async () => {
    assert.isDefined(collectGarbage, "run with --expose-gc")
    const deadlines = Deadlines.make(60_000)
    const stuck = deadlines.start(() => {}) // the oldest: keeps every later entry in the queue
    const settleOne = () => {
      const fiberState = { payload: new Array<number>(10_000).fill(1) } // what a resume callback holds
      const pending = deadlines.start(() => fiberState.payload.push(0))
      deadlines.settle(pending)
      return new WeakRef(fiberState)
    }
    const held = settleOne()
    await sleep(0) // a WeakRef's target is kept until the end of the job that made it
    collectGarbage!()
    assert.isUndefined(held.deref(), "a settled call behind a pending one still holds its callback")
    deadlines.settle(stuck)
  })

  it("leaves an entry that leaves the queue pointing at nothing", () => {
    const deadlines = Deadlines.make(60_000)
    const a = deadlines.start(() => {})
    const b = deadlines.start(() => {})
    const c = deadlines.start(() => {})
    assert.strictEqual(a.next, b)
    deadlines.settle(b) // behind a: still queued
    assert.strictEqual(b.next, c)
    deadlines.settle(a) // a and b leave the queue
    assert.isUndefined(a.next)
    assert.isUndefined(b.next)
    assert.isUndefined(a.onTimeout)
    deadlines.settle(c)
    assert.isUndefined(c.next)
  })

  it("makes its entries young even after a burst of calls (V8 pretenures object literals, not `new`)", () => {
    assert.isDefined(collectGarbage, "run with --expose-gc")
    const deadlines = Deadlines.make(60_000)
    // a burst: many calls in flight across young-generation collections, as at 64+ in flight
    for (let round = 0; round < 3; round++) {
      const burst = Array.from({ length: 5_000 }, () => deadlines.start(() => {}))
      collectGarbage!({ type: "minor" })
      collectGarbage!({ type: "minor" })
      for (const pending of burst) deadlines.settle(pending)
    }
    const later = Array.from({ length: 100 }, () => deadlines.start(() => {}))
    assert.strictEqual(later.filter((pending) => !inYoungGeneration(pending)).length, 0)
    for (const pending of later) deadlines.settle(pending)
  })

  it("waits out a timeout longer than Node's timers take (2^31 - 1 ms) in steps, not a 1 ms loop", async () => {
    // Node fires a longer delay after 1 ms, warning each time: re-armed from the deadline, that
    // would be a timer every millisecond for as long as a call is pending
    const warnings: Array<string> = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on("warning", onWarning)
    try {
      for (const duration of [2 ** 32, Number.POSITIVE_INFINITY]) {
        const deadlines = Deadlines.make(duration)
        let timedOut = false
        const pending = deadlines.start(() => {
          timedOut = true
        })
        await sleep(60)
        assert.isFalse(timedOut)
        assert.isTrue(deadlines.settle(pending))
      }
      await sleep(10) // warnings are emitted on the next tick
      assert.deepStrictEqual(warnings, [])
    } finally {
      process.off("warning", onWarning)
    }
  })
})
