/**
 * Every test file's chai `assert.deepStrictEqual` also compares with vitest's `toStrictEqual`.
 * chai alone takes an Effect `Option`'s `Some` and `None` as equal: a `None` has no own keys where
 * a `Some` has `value`, so chai compares them by iterating, and each iterates to itself, which its
 * cycle check counts as equal. A test would then pass with a value lost (`Some` read back as
 * `None`); vitest's equality compares them by their fields.
 */
import { assert, expect } from "vitest"

const chaiDeepStrictEqual = assert.deepStrictEqual

assert.deepStrictEqual = <T>(actual: T, expected: T, message?: string): void => {
  chaiDeepStrictEqual(actual, expected, message)
  expect(actual, message).toStrictEqual(expected)
}
