/**
 * The order shard listings are merged in must be Redis's own: members of equal score by their
 * UTF-8 bytes. Checked against a real server on random Unicode members (surrogate pairs included).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { inject } from "vitest"
import { byScoreThenMember } from "../src/internal/sortedSetOrder.js"
import { uniqueNamespace } from "./utils/backends.js"
import { rawClient } from "./utils/redisClient.js"

const members = FastCheck.uniqueArray(
  FastCheck.oneof(
    FastCheck.string({ unit: "binary", maxLength: 6 }),
    FastCheck.string({ unit: "grapheme-ascii", maxLength: 6 }),
    // around the surrogate range, where UTF-16 and UTF-8 orders part ways
    FastCheck.constantFrom("\uD7FF", "\uE000", "\uFFFF", "\u{10000}", "\u{1F600}", "a\u{10FFFF}", "a\uFFFD")
  ),
  { minLength: 2, maxLength: 30 }
)

describe("sorted-set order", () => {
  it.scoped("sorts entries of equal and different scores exactly as Redis ZRANGE returns them", () =>
    Effect.gen(function*() {
      const client = yield* rawClient(inject("redisUrl"))
      const key = `${uniqueNamespace("order")}:z`
      const samples = FastCheck.sample(
        FastCheck.tuple(members, FastCheck.array(FastCheck.integer({ min: 0, max: 2 }))),
        {
          numRuns: 200,
          seed: 7
        }
      )
      for (const [names, scores] of samples) {
        const flat = yield* Effect.promise(async () => {
          await client.del(key)
          await client.zadd(key, ...names.flatMap((name, i) => [String(scores[i] ?? 0), name]))
          return client.zrange(key, "0", "-1", "WITHSCORES")
        })
        const redisOrder: Array<readonly [string, number]> = []
        for (let i = 0; i < flat.length; i += 2) redisOrder.push([flat[i]!, Number(flat[i + 1])])
        const reversed = [...redisOrder].reverse()
        assert.deepStrictEqual(reversed.sort(byScoreThenMember), redisOrder)
      }
      yield* Effect.promise(() => client.del(key))
    }))
})
