/**
 * The suite's own assertions (`setup.ts`): a deep comparison tells an `Option`'s `Some` from
 * `None`, at any depth.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"

describe("assertions", () => {
  it("deepStrictEqual fails on Some against None, alone, in an object and in an array", () => {
    assert.throws(() => assert.deepStrictEqual(Option.some(1), Option.none()))
    assert.throws(() => assert.deepStrictEqual({ value: Option.none() }, { value: Option.some("en") }))
    assert.throws(() => assert.deepStrictEqual([Option.some(1), Option.none()], [Option.some(1), Option.some(2)]))
    assert.deepStrictEqual([Option.some(1), Option.none()], [Option.some(1), Option.none()])
  })
})
