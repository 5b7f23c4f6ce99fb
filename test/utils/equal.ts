/**
 * Deep equality that tells an Effect `Option`'s `Some` from `None`. chai's `deepStrictEqual` takes
 * them as equal: a `None` has no own keys where a `Some` has `value`, so it compares them by
 * iterating, and each iterates to itself, which its cycle check counts as equal. So a test would
 * pass with a value lost (`Some` read back as `None`). vitest's own equality compares them by
 * their fields.
 */
import { expect } from "@effect/vitest"

/** Fails unless `actual` deeply equals `expected`, Options (at any depth) included. */
export const assertEqual = <A>(actual: A, expected: A, message?: string): void => {
  expect(actual, message).toStrictEqual(expected)
}
