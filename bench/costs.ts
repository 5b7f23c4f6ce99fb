/**
 * Where one call's cost goes, each side measured without the other:
 *
 * - Redis: CPU per call of the library's scripts and of the baselines, sent pipelined (500 per
 *   round trip) so that Redis is the bottleneck and Node's cost does not show (`INFO cpu` delta).
 * - Node: time and heap allocated per call of the library through `ManagedRuntime.runPromise`, on a
 *   fake ioredis client that answers every call at once with a recorded reply, so that neither the
 *   socket nor Redis shows. Run in a child process with a 256 MB young generation: no garbage
 *   collection runs inside a measured batch, so the heap's growth is what the calls allocated.
 *
 * Writes bench/results/costs.md (`BENCH_OUT=dir`: there instead). Run: npm run bench:costs
 * (`BENCH_QUICK=1`: a smoke run, whose figures mean nothing)
 * (the child: node --expose-gc --max-semi-space-size=256 --min-semi-space-size=256 --import tsx bench/costs.ts node)
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type { Redis } from "ioredis"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import * as Format from "../src/internal/redis/format.js"
import { keyspace } from "../src/internal/redis/keys.js"
import * as Scripts from "../src/internal/redis/scripts.js"
import type { SessionToken } from "../src/Schema.js"
import { defaultLimits } from "../src/SessionData.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { median, noGcFlags, redisCpuSeconds, resultsPage, runChild, runMain, sized, turnOrder } from "./harness.js"
import { RedisLayer, Session, SessionManager } from "./library.js"
import { benchData, connect, lib, touchSource } from "./targets.js"

/** How much each side measures (a smoke run's call counts still fill whole batches of 16). */
const sizes = {
  redis: { calls: sized(20_000, 8_000), reps: sized(11, 1) },
  node: { allocated: sized(2_000, 500), batch: sized(20_000, 2_000), reps: sized(10, 2) }
}

const fmt = (x: number, digits = 1) => Number.isFinite(x) ? x.toFixed(digits) : "n/a"

/**
 * Redis CPU µs per call: the median, least and most of `sizes.redis.reps` runs of `sizes.redis.calls`
 * pipelined calls per script.
 */
const redisSide = async (): Promise<Array<readonly [string, number, number, number]>> => {
  const server = await startRedisServer()
  const admin = await connect(server.url)
  const client = await connect(server.url)
  const sessions = await lib(server.url, "costs")
  try {
    // the library hands out tokens; Redis knows the sessions by their ids
    const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => sessions.create(`u${i}`)))
    const ids = tokens.map((token) => Session.idOf(token as SessionToken))
    const ks = keyspace("costs")
    const load = async (source: string) => String(await client.script("LOAD", source))
    // what a data set's Lua costs, by parts: scripts taking a batch of data sets' keys and arguments
    // that loop over the calls doing nothing, only the data set's HMGET, or that HMGET and an HSET
    const { dataKeys, dataSize, deadline: d, lastAccess: a, ttl: t, userId: u } = Format.sessionField
    // each call's arguments: their count, then MAX, MAX_KEYS, the key, its value (`Scripts.dataSet`)
    const dataSetPart = (step: string) =>
      [
        `local replies, n, at = {}, 0, ${Object.keys(Scripts.shardArgs).length + 1}`,
        "while at <= #ARGV do",
        "  n = n + 1",
        `  local key, field = KEYS[${Scripts.shardKeys.length} + n], '${Format.dataPrefix}' .. ARGV[at + 3]`,
        `  ${step}`,
        "  replies[n] = 1",
        "  at = at + 1 + tonumber(ARGV[at])",
        "end",
        "return {replies, {}}"
      ].join("\n")
    const read = `redis.call('HMGET', key, '${u}', '${a}', '${t}', '${d}', '${dataSize}', '${dataKeys}', field)`
    const [touch, get, exists, nothing, loopOnly, readOnly, readWrite] = await Promise.all([
      load(touchSource),
      load(Scripts.get.source),
      load(Scripts.exists.source),
      load("return 1"),
      load(dataSetPart("")),
      load(dataSetPart(read)),
      load(dataSetPart(`${read} redis.call('HSET', key, field, ARGV[at + 4])`))
    ])
    // the library's own arguments: KEYS A X R, each call's session; ARGV the shard's arguments,
    // then each call's argument count and arguments (`scripts.ts`)
    // (the library's functions too: the manager loaded it when it opened)
    /** The shard's arguments as the store sends them by default: one for each of `Scripts.shardArgs`. */
    const shardArgValues: Record<keyof typeof Scripts.shardArgs, string> = {
      P: ks.prefix,
      OFFSET: "0",
      GRACE: "600000",
      REG: "1800000",
      BUSY: "2000"
    }
    const shardArgs = (Object.keys(Scripts.shardArgs) as Array<keyof typeof Scripts.shardArgs>).map((name) =>
      shardArgValues[name]
    )
    const batchOf = (sha: string, ids: ReadonlyArray<string>, args: ReadonlyArray<string>) =>
      scriptCall(["evalsha", sha], ids, args)
    /** The same calls as an FCALL of the script's function in the library. */
    const fcallOf = (
      script: { readonly function: string | undefined; readonly args: Record<string, unknown> },
      ids: ReadonlyArray<string>,
      args: ReadonlyArray<string>
    ) => scriptCall(["fcall", script.function ?? "(no function)"], ids, args, "SID" in script.args)
    /** A batch of calls; each call's arguments are the session id then `args`, or `args` alone where `named` is false. */
    const scriptCall = (
      head: ReadonlyArray<string>,
      ids: ReadonlyArray<string>,
      args: ReadonlyArray<string>,
      named = true
    ) => [
      ...head,
      3 + ids.length,
      ks.activity,
      ks.expiries,
      ks.regular,
      ...ids.map((id) => ks.session(id)),
      ...shardArgs,
      ...ids.flatMap((id) => named ? [String(1 + args.length), id, ...args] : [String(args.length), ...args])
    ]
    /** The session fields a liveness check reads: user, last access, ttl, deadline. */
    const { createdAt, deadline, lastAccess, ttl, userId } = Format.sessionField
    const liveness = [userId, lastAccess, ttl, deadline]
    /**
     * A data set's arguments (the session is named by its key alone): the manager's default limits
     * of the session's data size and keys, one key and its value.
     */
    const dataValue = `s${benchData.value}`
    const dataSetArgs = [
      String(defaultLimits.maxSessionBytes),
      String(defaultLimits.maxSessionKeys),
      benchData.key,
      dataValue
    ]
    /** `calls` consecutive ids from the `i`-th. */
    const idsFrom = (i: number, calls: number) => Array.from({ length: calls }, (_, k) => ids[(i * calls + k) % 1000]!)
    // each row: its name, the calls one command carries, and the command for the i-th command
    const calls: ReadonlyArray<
      readonly [string, number, (i: number) => ReadonlyArray<string | number>]
    > = [
      ["HGETALL of a session (a plain command)", 1, (i) => ["hgetall", ks.session(ids[i % 1000]!)]],
      // a plain read: one HMGET, and the two TIMEs around those of one turn
      ["HMGET of the 4 fields liveness needs (exists, plain)", 1, (i) => [
        "hmget",
        ks.session(ids[i % 1000]!),
        ...liveness
      ]],
      ["HMGET of the 5 fields of a read (get without update, plain)", 1, (i) => [
        "hmget",
        ks.session(ids[i % 1000]!),
        ...liveness,
        createdAt
      ]],
      ["TIME (two around the plain reads of one turn)", 1, () => ["time"]],
      ["EVALSHA touch (the baseline: HSET + 3 ZADD)", 1, (i) => {
        const now = Date.now()
        const id = ids[i % 1000]!
        return [
          "evalsha",
          touch,
          4,
          `{raw}:s:${id}`,
          "{raw}:a",
          "{raw}:x",
          `{raw}:u:u${i % 1000}`,
          now,
          now + 1_800_000,
          id
        ]
      }],
      ["EVALSHA of `return 1`, the library's arguments", 1, (i) => batchOf(nothing, idsFrom(i, 1), [])],
      ["EVALSHA exists", 1, (i) => batchOf(exists, idsFrom(i, 1), [])],
      ["EVALSHA get, no update", 1, (i) => batchOf(get, idsFrom(i, 1), ["0", "0"])],
      ["EVALSHA get (update)", 1, (i) => batchOf(get, idsFrom(i, 1), ["1", "0"])],
      ["EVALSHA exists, 16 calls per script call", 16, (i) => batchOf(exists, idsFrom(i, 16), [])],
      ["EVALSHA get, no update, 16 calls per script call", 16, (i) => batchOf(get, idsFrom(i, 16), ["0", "0"])],
      ["EVALSHA get (update), 16 calls per script call", 16, (i) => batchOf(get, idsFrom(i, 16), ["1", "0"])],
      ["FCALL exists", 1, (i) => fcallOf(Scripts.exists, idsFrom(i, 1), [])],
      ["FCALL get, no update", 1, (i) => fcallOf(Scripts.get, idsFrom(i, 1), ["0", "0"])],
      ["FCALL get (update)", 1, (i) => fcallOf(Scripts.get, idsFrom(i, 1), ["1", "0"])],
      ["FCALL exists, 16 calls per call", 16, (i) => fcallOf(Scripts.exists, idsFrom(i, 16), [])],
      ["FCALL get, no update, 16 calls per call", 16, (i) => fcallOf(Scripts.get, idsFrom(i, 16), ["0", "0"])],
      ["FCALL get (update), 16 calls per call", 16, (i) => fcallOf(Scripts.get, idsFrom(i, 16), ["1", "0"])],
      // a data set of one key, as setData sends it (the session's limit, the key, the encoded value)
      ["HSET of one data field (redisess's set, a plain command)", 1, (i) => [
        "hset",
        ks.session(ids[i % 1000]!),
        `${Format.dataPrefix}${benchData.key}`,
        dataValue
      ]],
      ["FCALL data set, one key", 1, (i) => fcallOf(Scripts.dataSet, idsFrom(i, 1), dataSetArgs)],
      ["FCALL data set, one key, 16 calls per call", 16, (i) => fcallOf(Scripts.dataSet, idsFrom(i, 16), dataSetArgs)],
      // its parts, 16 data sets per script call
      [
        "EVALSHA, 16 data sets per call: a loop over the calls, nothing else",
        16,
        (i) => scriptCall(["evalsha", loopOnly], idsFrom(i, 16), dataSetArgs, false)
      ],
      [
        "EVALSHA, 16 data sets per call: each only its HMGET (liveness, size, keys, the old value)",
        16,
        (i) => scriptCall(["evalsha", readOnly], idsFrom(i, 16), dataSetArgs, false)
      ],
      [
        "EVALSHA, 16 data sets per call: each its HMGET and the HSET of its value, no other Lua",
        16,
        (i) => scriptCall(["evalsha", readWrite], idsFrom(i, 16), dataSetArgs, false)
      ]
    ]
    const { calls: n, reps } = sizes.redis
    const samples = new Map<string, Array<number>>()
    for (let rep = 0; rep <= reps; rep++) {
      // the rows in another order each repetition (harness.ts): what one row leaves behind in Redis
      // (a script's garbage, a grown set) does not always fall on the same next row
      for (const row of turnOrder(calls.length, rep)) {
        const [name, perCommand, args] = calls[row]!
        const before = await redisCpuSeconds(admin)
        const commands = n / perCommand
        for (let from = 0; from < commands; from += 500) {
          const pipeline = client.pipeline()
          for (let i = from; i < Math.min(from + 500, commands); i++) {
            const [command, ...rest] = args(i)
            pipeline.call(String(command), ...rest)
          }
          const replies = await pipeline.exec()
          const failed = replies?.find(([error]) => error !== null)
          if (failed !== undefined) throw failed[0]
          // a batch of the library's calls replies {replies, failed}: a row of failed calls would
          // measure an error path
          const failedCalls = replies?.find(([, reply]) =>
            Array.isArray(reply) && reply.length === 2 && Array.isArray(reply[1]) && reply[1].length > 0
          )
          if (failedCalls !== undefined) throw new Error(`${name}: calls failed: ${JSON.stringify(failedCalls[1])}`)
        }
        const us = ((await redisCpuSeconds(admin)) - before) * 1e6 / n
        if (rep > 0) samples.set(name, [...(samples.get(name) ?? []), us]) // rep 0 warms up
      }
    }
    return calls.map(([name]) => {
      const runs = samples.get(name) ?? []
      return [name, median(runs), Math.min(...runs), Math.max(...runs)] as const
    })
  } finally {
    await sessions.close()
    await client.quit()
    await admin.quit()
    await server.stop()
  }
}

/** What the node side measured per target: µs per call (the best of `sizes.node.reps` batches) and bytes per call. */
type NodeResult = Array<{ readonly name: string; readonly us: number; readonly bytes: number }>

/** In the child process: the library on a fake client that answers at once. */
const nodeSide = async (): Promise<NodeResult> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run the node side with --expose-gc")
  const now = Date.now()
  // a session's values: user, created, ttl, deadline (none), last access, expiry (a read: then the time)
  const session = ["user-1", `${now}`, "1800000", null, now, now + 1_800_000]
  const replies = new Map<string, unknown>([
    [Scripts.layout.sha, [1, 1_800_000]],
    // a shard script's reply to a batch of one call: {replies, failed}
    [Scripts.get.sha, [[[...session, now]], []]],
    [Scripts.exists.sha, [[1], []]],
    [Scripts.kill.sha, [[1], []]],
    [Scripts.create.sha, [[[1, now, now + 1_800_000, 0]], []]],
    [Scripts.dataGet.sha, [[["user-1", `${now}`, "1800000", null, "sen-GB"]], []]],
    [Scripts.dataSet.sha, [[1], []]]
  ])
  // a session's hash, for the plain reads' HMGET (and their TIME)
  const hash: Record<string, string> = { u: "user-1", c: `${now}`, a: `${now}`, t: "1800000", "d:lang": "sen-GB" }
  const time = [String(Math.floor(now / 1000)), String((now % 1000) * 1000)]
  const answer = (command: string, args: ReadonlyArray<string>): Promise<unknown> =>
    command === "evalsha"
      ? Promise.resolve(replies.get(args[0]!))
      : command === "time"
      ? Promise.resolve(time)
      : command === "hmget"
      ? Promise.resolve(args.slice(1).map((field) => hash[field] ?? null))
      : Promise.reject(new Error(`the fake client does not answer ${command}`))
  const fake = {
    status: "ready",
    isCluster: false,
    stream: { cork: () => {}, uncork: () => {} },
    evalsha: (script: string) => Promise.resolve(replies.get(script)),
    eval: () => Promise.reject(new Error("the fake client knows the scripts by sha only")),
    call: (command: string, ...args: Array<string>) => answer(command, args),
    // the store sends its commands as ioredis `Command`s (`src/internal/redis/command.ts`)
    sendCommand: (command: { readonly name: string; readonly args: Array<string> }) =>
      answer(command.name, command.args)
  }
  const runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace: "costs", ttl: 1800, wipeInterval: 0 }).pipe(
      Layer.provide(RedisLayer.layerFromClient(fake as unknown as Redis))
    )
  )
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  // a client presents a token (get, exists, data); an app ends a session by its id
  const token = "A".repeat(32)
  const id = Session.idOf(token as SessionToken)
  const targets: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
    [
      "the edge alone: runPromise(Effect.promise(call))",
      () => runtime.runPromise(Effect.promise(() => fake.evalsha("")))
    ],
    ["get (update)", () => runtime.runPromise(sm.get(token))],
    ["get (noUpdate)", () => runtime.runPromise(sm.get(token, { noUpdate: true }))],
    ["exists", () => runtime.runPromise(sm.exists(token))],
    ["kill", () => runtime.runPromise(sm.kill(id))],
    ["create", () => runtime.runPromise(sm.create("user-1"))],
    ["getData (one key)", () => runtime.runPromise(sm.getData(token, "lang"))],
    ["setData (one key)", () => runtime.runPromise(sm.setData(token, "lang", "en-GB"))]
  ]
  const { allocated, batch, reps } = sizes.node
  const out: NodeResult = []
  for (const [name, run] of targets) {
    for (let i = 0; i < allocated; i++) await run() // warm-up (and JIT)
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < allocated; i++) await run()
    const bytes = (process.memoryUsage().heapUsed - before) / allocated
    let best = Number.POSITIVE_INFINITY
    for (let rep = 0; rep < reps; rep++) {
      gc()
      const started = performance.now()
      for (let i = 0; i < batch; i++) await run()
      best = Math.min(best, (performance.now() - started) * 1000 / batch)
    }
    out.push({ name, us: best, bytes })
  }
  await runtime.dispose()
  return out
}

const main = async () => {
  const redis = await redisSide()
  const node = runChild<NodeResult>(fileURLToPath(import.meta.url), ["node"], noGcFlags)
  const page = resultsPage("Where one call's cost goes")
  const p = page.line
  p()
  p("## Redis CPU per call")
  p()
  const { node: nodeSizes, redis: redisSizes } = sizes
  p(`${
    redisSizes.calls.toLocaleString("en-US")
  } calls sent 500 commands to a pipeline, so that Redis is the bottleneck; \`INFO cpu\` delta`)
  p(`per call (a script call carrying 16 counts as 16 calls), median of ${redisSizes.reps} runs after a warm-up (the rows`)
  p("in another order each run, `turnOrder` in harness.ts), and the least and most of those runs: rows whose ranges")
  p("overlap are not told apart by this run;")
  p("1,000 sessions present, each call on one of them; a run whose calls failed stops the benchmark. EVALSHA runs a")
  p("script's whole source, defining every function it uses, on every call; FCALL calls the same operation in the")
  p("library loaded once (`FUNCTION LOAD`), which the store uses where the server allows it. The last three rows take")
  p("a data set apart: scripts given the same batch of 16 data sets that do a part of its work and nothing else.")
  p()
  p("| call | Redis CPU µs | least - most |")
  p("| --- | --: | --: |")
  for (const [name, us, least, most] of redis) p(`| ${name} | ${fmt(us, 2)} | ${fmt(least, 2)} - ${fmt(most, 2)} |`)
  p()
  p("## Node time and allocation per call")
  p()
  p("One call at a time through `ManagedRuntime.runPromise`, on a fake ioredis client that answers every call at")
  p(`once with a recorded reply (no socket, no Redis). Time: the best of ${nodeSizes.reps} batches of ${
    nodeSizes.batch.toLocaleString("en-US")
  } calls.`)
  p(`Allocation: the heap's growth over ${
    nodeSizes.allocated.toLocaleString("en-US")
  } calls with a 256 MB young generation (no collection inside the batch).`)
  p()
  p("| call | µs per call | bytes allocated per call |")
  p("| --- | --: | --: |")
  for (const r of node) p(`| ${r.name} | ${fmt(r.us, 2)} | ${Math.round(r.bytes).toLocaleString("en-US")} |`)
  page.write("costs.md")
}

if (process.argv[2] === "node") runMain(nodeSide, { printResult: true })
else runMain(main)
