/**
 * The store's call timeouts (`internal/deadlines.ts`): one timer for all calls. These run on the
 * real clock with wide margins (a 40 ms timeout, checked after 250 ms): they check which calls time
 * out and in what order, not how fast.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deadlines from "../src/internal/deadlines.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
})
