/**
 * Each script carries only the part of the shared prelude it uses: every function it defines is
 * called in it, and everything of the prelude it calls is defined before the call (Redis runs a
 * script's whole source on every call, so an unused definition is a cost on every call).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Lua from "../src/internal/lua.js"

const scripts = Object.values(Lua).filter((value): value is Lua.ScriptSource =>
  typeof value === "object" && value !== null && "source" in value && "name" in value
)

const defined = (source: string) => [...source.matchAll(/^local function (\w+)\(/gm)].map((m) => m[1]!)

describe("Lua scripts", () => {
  it("are all checked here", () => {
    assert.isAtLeast(scripts.length, 15)
  })

  for (const script of scripts) {
    it(`${script.name}: defines only the prelude functions it calls, each before its first call`, () => {
      const names = defined(script.source)
      for (const name of names) {
        const definition = script.source.indexOf(`local function ${name}(`)
        const calls = [...script.source.matchAll(new RegExp(`\\b${name}\\(`, "g"))].map((m) => m.index)
        assert.isTrue(
          calls.some((at) => at !== definition + "local function ".length),
          `${script.name} defines ${name} without calling it`
        )
        assert.isTrue(calls.every((at) => at >= definition), `${script.name} calls ${name} before defining it`)
      }
    })
  }

  it("a small script leaves out what it does not use", () => {
    assert.deepStrictEqual(defined(Lua.exists.source), ["now_ms", "expiry", "times", "state", "unexpired", "live"])
    assert.includeMembers(defined(Lua.get.source), ["load", "index", "remove"])
    assert.notInclude(defined(Lua.get.source), "sweep")
  })
})
