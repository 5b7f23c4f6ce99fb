/**
 * The fast paths next to the schemas: the operations' id and data key checks accept exactly what
 * their schemas accept.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Ids from "../src/internal/ids.js"
import * as S from "../src/Schema.js"
import * as SessionData from "../src/SessionData.js"

const idLike = FastCheck.oneof(
  FastCheck.string(),
  FastCheck.string({ unit: "binary" }),
  FastCheck.string({ unit: "grapheme", maxLength: 600 }),
  FastCheck.stringMatching(/^(?:(?:0|[1-9][0-9]{0,4})\.)?[A-Za-z0-9_+/=-]{15,17}$/),
  FastCheck.stringMatching(/^[0-9]{0,5}\.?[A-Za-z0-9_.-]{14,18}$/),
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
    assert.isTrue(Ids.isSessionId("vL3m0Zp1yXb2Qw9e") && Ids.isSessionId("12.vL3m0Zp1yXb2Qw9e"))
    assert.isFalse(
      Ids.isSessionId("012.vL3m0Zp1yXb2Qw9e") || Ids.isSessionId("vL3m0Zp1yXb2Qw9") ||
        Ids.isSessionId("vL3m0Zp1yXb2Qw9e7Rt5Ua")
    )
    assert.isTrue(Ids.isUserId("a".repeat(512)) && Ids.isUserId("\uD83D\uDE00"))
    assert.isFalse(Ids.isUserId("a".repeat(513)) || Ids.isUserId("a\uD800") || Ids.isUserId(""))
    assert.isTrue(Ids.isWellFormedText("k".repeat(256), SessionData.maxDataKeyLength))
    assert.isFalse(Ids.isWellFormedText("k".repeat(257), SessionData.maxDataKeyLength))
  })
})
