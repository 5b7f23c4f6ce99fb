/**
 * The fast paths next to the schemas: the stored-session codec agrees with the Schema codec on any
 * hash, and the operations' id and data key checks accept exactly what their schemas accept.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Ids from "../src/internal/ids.js"
import * as S from "../src/Schema.js"
import * as SessionData from "../src/SessionData.js"

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

/** Strings near the edges of both id formats: valid ids, one character off, lone and paired surrogates, long ones. */
const idLike = FastCheck.oneof(
  FastCheck.string(),
  FastCheck.string({ unit: "binary" }),
  FastCheck.string({ unit: "grapheme", maxLength: 600 }),
  FastCheck.stringMatching(/^(?:(?:0|[1-9][0-9]{0,4})\.)?[A-Za-z0-9_+/=-]{21,23}$/),
  FastCheck.stringMatching(/^[0-9]{0,5}\.?[A-Za-z0-9_.-]{20,24}$/),
  FastCheck.tuple(
    FastCheck.oneof(
      FastCheck.string({ minLength: 250, maxLength: 260 }),
      FastCheck.string({ minLength: 505, maxLength: 515 })
    ),
    FastCheck.constantFrom("", "\uD800", "\uDC00")
  ).map(([s, tail]) => s + tail),
  FastCheck.constantFrom(undefined, null, 42, ["x"], "", "\uD83D\uDE00", "\uDE00\uD83D")
)

describe("operations' fast id checks", () => {
  it.prop("isSessionId accepts exactly what the SessionId schema accepts", [idLike], ([input]) => {
    assert.strictEqual(Ids.isSessionId(input), Schema.is(S.SessionId)(input))
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("isUserId accepts exactly what the UserId schema accepts", [idLike], ([input]) => {
    assert.strictEqual(Ids.isUserId(input), Schema.is(S.UserId)(input))
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("isWellFormedText accepts exactly what the DataKey schema accepts", [idLike], ([input]) => {
    assert.strictEqual(Ids.isWellFormedText(input, SessionData.maxDataKeyLength), Schema.is(SessionData.DataKey)(input))
  }, { fastCheck: { numRuns: 2000 } })

  it("both accept and refuse something (the generators reach both sides)", () => {
    assert.isTrue(Ids.isSessionId("vL3m0Zp1yXb2Qw9e7Rt5Ua") && Ids.isSessionId("12.vL3m0Zp1yXb2Qw9e7Rt5Ua"))
    assert.isFalse(Ids.isSessionId("012.vL3m0Zp1yXb2Qw9e7Rt5Ua") || Ids.isSessionId("vL3m0Zp1yXb2Qw9e7Rt5U"))
    assert.isTrue(Ids.isUserId("a".repeat(512)) && Ids.isUserId("\uD83D\uDE00"))
    assert.isFalse(Ids.isUserId("a".repeat(513)) || Ids.isUserId("a\uD800") || Ids.isUserId(""))
    assert.isTrue(Ids.isWellFormedText("k".repeat(256), SessionData.maxDataKeyLength))
    assert.isFalse(Ids.isWellFormedText("k".repeat(257), SessionData.maxDataKeyLength))
  })
})
