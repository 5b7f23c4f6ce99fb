/**
 * The stored-session codec: the direct decoding path agrees with the Schema codec on any hash.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as S from "../src/Schema.js"

const numberText = FastCheck.oneof(
  FastCheck.nat().map(String),
  FastCheck.constantFrom("", "-1", "1.5", "1e3", "abc", " 1", "9999999999999999999", "0x10")
)
const hash = FastCheck.record(
  {
    u: FastCheck.string(),
    c: numberText,
    a: numberText,
    t: numberText,
    x: numberText,
    l: numberText,
    "f:groupId": FastCheck.string(),
    other: FastCheck.string()
  },
  { requiredKeys: ["u", "a"] }
)

describe("Schema.decodeSessionHash", () => {
  it.prop("agrees with the SessionHash schema on any hash", [hash], ([h]) => {
    const fast = S.decodeSessionHash(h)
    const schema = Schema.decodeUnknownEither(S.SessionHash)(h)
    assert.strictEqual(fast._tag, schema._tag)
    if (Either.isRight(fast) && Either.isRight(schema)) assert.deepStrictEqual(fast.right, schema.right)
  }, { fastCheck: { numRuns: 500 } })

  it("decodes a stored session, with its additional fields", () => {
    const decoded = S.decodeSessionHash({
      u: "alice",
      c: "1",
      a: "2",
      t: "3",
      x: "5",
      l: "0",
      "f:groupId": "7",
      d: "x"
    })
    assert.deepStrictEqual(
      decoded,
      Either.right({
        userId: "alice",
        createdAt: 1,
        lastAccess: 2,
        ttl: 3,
        expires: 5,
        deadline: 0,
        fields: { groupId: "7" }
      })
    )
  })
})
