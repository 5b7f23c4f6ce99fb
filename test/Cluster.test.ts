/**
 * Redis Cluster, on clusters the tests start: a master killed mid-load (with replicas), and slots
 * moved with `redis-cli --cluster reshard` under load. (The conformance suite also runs on the
 * global setup's 3-master cluster: see `utils/backends.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { Cluster, Redis } from "ioredis"
import { inject } from "vitest"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations } from "./utils/keyspace.js"
import { watchCommands } from "./utils/redisClient.js"
import { clusterClient, localCluster, nodeCall } from "./utils/redisCluster.js"
import type { RedisCluster } from "./utils/redisCluster.js"
import { redisCli } from "./utils/redisRuntime.js"

const managerOn = (cluster: RedisCluster, namespace: string, shards: number) =>
  Effect.flatMap(
    Layer.build(RedisLayer.layer({
      cluster: { nodes: cluster.startupNodes, options: { maxRedirections: 64, retryDelayOnFailover: 100 } },
      timeout: Duration.millis(1000)
    })),
    (context) => SessionManager.make({ namespace, shards, wipeInterval: 0 }).pipe(Effect.provide(context))
  )

/** Retries an operation through a window of typed Redis errors; counts the errors it saw. */
const throughWindow = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>, errors: Array<string>) =>
  effect.pipe(
    Effect.tapError((error) => Effect.sync(() => errors.push(error._tag))),
    Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 100 })
  )

const role = async (port: number): Promise<string> =>
  String(((await nodeCall(port, ["role"])) as ReadonlyArray<unknown>)[0])

/** A client of the global setup's cluster, connected, and quit when the scope closes. */
const globalCluster = Effect.gen(function*() {
  const ports = inject("clusterPorts")
  const client = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })), { lazyConnect: true })
  yield* Effect.acquireRelease(Effect.promise(() => client.connect()), () => Effect.promise(() => client.quit()))
  return { client, ports }
})

describe("Redis Cluster", () => {
  // the global setup's cluster (absent only where redis-server is not installed)
  it.live.skipIf(inject("clusterPorts").length === 0)(
    "layerFromClient takes the caller's own ioredis Cluster (and leaves it open)",
    () =>
      Effect.gen(function*() {
        const { client } = yield* globalCluster
        const namespace = uniqueNamespace("own-cluster")
        const count = yield* Effect.scoped(Effect.gen(function*() {
          const sm = yield* SessionManager.make({ namespace, shards: 24, wipeInterval: 0 }).pipe(
            Effect.provide(RedisLayer.layerFromClient(client))
          )
          const sessions = yield* Effect.all(Array.from({ length: 48 }, (_, i) => sm.create(`user${i}`)))
          for (const s of sessions) assert.strictEqual((yield* sm.get(s.token)).userId, s.userId)
          return yield* sm.count()
        }))
        assert.strictEqual(count, 48)
        assert.strictEqual(client.status, "ready")
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(client, namespace)), [])
      }).pipe(Effect.scoped)
  )

  it.live.skipIf(inject("clusterPorts").length === 0)(
    "plain reads go as commands to the master serving their slot, not as a pipeline; with a stale slot table, by script",
    () =>
      Effect.gen(function*() {
        const { client, ports } = yield* globalCluster
        const namespace = uniqueNamespace("cluster-reads")
        const sm = yield* SessionManager.make({ namespace, wipeInterval: 0 }).pipe(
          Effect.provide(RedisLayer.layerFromClient(client))
        )
        const sessions = yield* Effect.all(Array.from({ length: 8 }, (_, i) => sm.create(`reader${i}`)))
        let pipelines = 0
        const pipeline = client.pipeline.bind(client)
        client.pipeline = ((...args: Parameters<Cluster["pipeline"]>) => {
          pipelines++
          return pipeline(...args)
        }) as Cluster["pipeline"]
        const slot = Number(yield* Effect.promise(() => client.cluster("KEYSLOT", `{${namespace}}:s:any`)))
        const owner = client.slots[slot]![0]!
        const other = ports.map((port) => `127.0.0.1:${port}`).find((address) =>
          address !== owner && client.slots.some((nodes) => nodes[0] === address)
        )!
        /** The commands on this namespace's keys that the node at `address` runs, each by a client or inside a script. */
        const watch = (address: string) =>
          Effect.gen(function*() {
            const node = new Redis(Number(address.split(":")[1]), "127.0.0.1", { lazyConnect: true })
            yield* Effect.acquireRelease(
              Effect.promise(() => node.connect()),
              () => Effect.sync(() => node.disconnect())
            )
            const watched = yield* watchCommands(node)
            return watched.of((args) => args.some((arg) => arg.includes(`{${namespace}}`)))
          })
        const ownerCommands = yield* watch(owner)
        const otherCommands = yield* watch(other)
        const names = (commands: ReadonlyArray<ReadonlyArray<string>>) => commands.map((args) => args[0]!.toLowerCase())
        /** The HMGETs the node at `address` refused (MOVED), which MONITOR does not show. */
        const refusedHmgets = (address: string) =>
          Effect.promise(async () => {
            const info = String(await nodeCall(Number(address.split(":")[1]), ["info", "commandstats"]))
            const line = info.split(/\r?\n/).find((l) => l.startsWith("cmdstat_hmget:")) ?? ""
            return Number(/rejected_calls=(\d+)/.exec(line)?.[1] ?? 0)
          })
        const readAll = Effect.all(sessions.map((s) => sm.exists(s.token)), { concurrency: "unbounded" })

        assert.deepStrictEqual(yield* readAll, Array(8).fill(true))
        // eight HMGETs sent to the owner, between two TIMEs (which name no key), no script
        assert.deepStrictEqual(names(yield* ownerCommands), Array(8).fill("hmget"))
        assert.strictEqual(pipelines, 0)

        // the table says another master serves the slot: it refuses the reads (MOVED), and they go
        // by script, which the cluster sends where the redirection says
        client.slots[slot] = [other]
        const refusedBefore = yield* refusedHmgets(other)
        assert.deepStrictEqual(yield* readAll, Array(8).fill(true))
        assert.isAtLeast((yield* refusedHmgets(other)) - refusedBefore, 8)
        assert.deepStrictEqual(names(yield* otherCommands), [])
        assert.isTrue(names(yield* ownerCommands).slice(8).includes("fcall"))
        assert.strictEqual(client.slots[slot]![0], owner) // the redirection mended the table
        assert.strictEqual(pipelines, 0)
      }).pipe(Effect.scoped)
  )

  it.live.skipIf(inject("clusterPorts").length === 0)(
    "a turn's plain reads of the shards one master serves share its two TIMEs",
    () =>
      Effect.gen(function*() {
        const { client } = yield* globalCluster
        const sm = yield* SessionManager.make({
          namespace: uniqueNamespace("cluster-lanes"),
          shards: 24,
          wipeInterval: 0
        })
          .pipe(Effect.provide(RedisLayer.layerFromClient(client)))
        const sessions = yield* Effect.all(Array.from({ length: 30 }, (_, i) => sm.create(`lane${i}`)))
        assert.isAbove(new Set(sessions.map((session) => session.sessionId.split(".")[0])).size, 6)
        // the TIMEs each master's connection is sent
        const times = new Map<string, number>()
        for (const node of client.nodes("master")) {
          const address = `${node.options.host}:${node.options.port}`
          const send = node.sendCommand.bind(node)
          node.sendCommand = (...args: Parameters<typeof node.sendCommand>) => {
            if (args[0].name === "time") times.set(address, (times.get(address) ?? 0) + 1)
            return send(...args)
          }
        }
        const live = yield* Effect.all(sessions.map((session) => sm.exists(session.token)), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(live, Array(30).fill(true))
        // two per master, where a batch per shard would send two per shard read
        assert.deepStrictEqual([...times.values()], Array(client.nodes("master").length).fill(2))
      }).pipe(Effect.scoped)
  )

  it.live(
    "a master killed mid-load: operations recover within seconds, replicated sessions survive",
    () =>
      Effect.gen(function*() {
        const cluster = yield* localCluster(3, 1)
        const namespace = uniqueNamespace("failover")
        const sm = yield* managerOn(cluster, namespace, 16)
        const raw = yield* clusterClient(cluster)

        const replicated = yield* Effect.all(Array.from({ length: 200 }, (_, i) => sm.create(`user${i}`)), {
          concurrency: 16
        })
        const waits = yield* Effect.promise(() =>
          Promise.all(raw.nodes("master").map((node) => node.call("WAIT", "1", "2000") as Promise<number>))
        )
        assert.deepStrictEqual(waits, [1, 1, 1])

        // a steady load while a master dies
        const acknowledged: Array<string> = []
        const errors: Array<string> = []
        const load = Effect.forever(
          Effect.either(sm.create(`load${acknowledged.length % 50}`)).pipe(
            Effect.tap((result) =>
              Effect.sync(() =>
                result._tag === "Right"
                  ? acknowledged.push(Redacted.value(result.right.token))
                  : errors.push(result.left._tag)
              )
            ),
            Effect.zipRight(Effect.sleep(Duration.millis(5)))
          )
        )
        const loading = yield* Effect.fork(load)
        yield* Effect.sleep(Duration.millis(300))
        const masters: Array<RedisCluster["nodes"][number]> = []
        for (const node of cluster.nodes) {
          if ((yield* Effect.promise(() => role(node.port))) === "master") masters.push(node)
        }
        yield* Effect.promise(() => masters[0]!.stop("SIGKILL"))
        const killedAt = Date.now()

        // recovery: a read of every replicated session, through the window
        const windowErrors: Array<string> = []
        for (const session of replicated) {
          assert.isTrue(yield* throughWindow(sm.exists(session.token), windowErrors), session.sessionId)
        }
        const recoveredAfter = Date.now() - killedAt
        yield* Effect.sleep(Duration.millis(300))
        yield* Fiber.interrupt(loading)

        assert.isTrue([...errors, ...windowErrors].every((tag) => tag === "RedisError"))
        let lost = 0
        for (const id of acknowledged) if (!(yield* throughWindow(sm.exists(id), windowErrors))) lost++
        const survivors = yield* Effect.promise(() =>
          Promise.all(cluster.nodes.filter((n) => n !== masters[0]).map((n) => role(n.port)))
        )
        assert.strictEqual(survivors.filter((r) => r === "master").length, 3) // a replica was promoted
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(raw, namespace)), [])
        yield* sm.create("after-failover")
        console.log(
          `cluster failover: recovered ${recoveredAfter} ms after the kill; ${
            errors.length + windowErrors.length
          } typed ` +
            `errors in the window; ${
              acknowledged.length - lost
            }/${acknowledged.length} sessions acknowledged under load ` +
            `survived (the rest had not reached the replica)`
        )
      }).pipe(Effect.scoped),
    90_000
  )

  it.live(
    "slots moved with redis-cli --cluster reshard under load: nothing fails for good, nothing is lost",
    () =>
      Effect.gen(function*() {
        const cluster = yield* localCluster(3, 0)
        const namespace = uniqueNamespace("reshard")
        const sm = yield* managerOn(cluster, namespace, 64)
        const raw = yield* clusterClient(cluster)
        const before = yield* Effect.all(Array.from({ length: 300 }, (_, i) => sm.create(`user${i % 100}`)), {
          concurrency: 16
        })

        const acknowledged: Array<string> = []
        const errors: Array<string> = []
        let step = 0
        const load = Effect.forever(
          Effect.gen(function*() {
            step++
            const s = yield* throughWindow(sm.create(`user${step % 100}`), errors)
            acknowledged.push(Redacted.value(s.token))
            yield* throughWindow(sm.get(before[step % before.length]!.token), errors)
            yield* throughWindow(sm.setData(s.token, { step }), errors)
            if (step % 5 === 0) yield* throughWindow(sm.count(), errors)
          })
        )
        const loading = yield* Effect.fork(load)

        const id = async (port: number) => String(await nodeCall(port, ["cluster", "myid"]))
        const [from, to] = yield* Effect.promise(() =>
          Promise.all([id(cluster.nodes[0]!.port), id(cluster.nodes[1]!.port)])
        )
        // each slot's keys move in one MIGRATE (a pipeline larger than the keys of any slot): see README
        yield* Effect.promise(() =>
          redisCli([
            "--cluster",
            "reshard",
            `127.0.0.1:${cluster.nodes[0]!.port}`,
            "--cluster-from",
            from,
            "--cluster-to",
            to,
            "--cluster-slots",
            "3000",
            "--cluster-pipeline",
            "1000",
            "--cluster-yes"
          ])
        )
        yield* Effect.sleep(Duration.millis(300))
        yield* Fiber.interrupt(loading)

        assert.isAbove(acknowledged.length, 0)
        for (const session of [...before.map((s) => Redacted.value(s.token)), ...acknowledged]) {
          assert.isTrue(yield* throughWindow(sm.exists(session), errors), session)
        }
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(raw, namespace)), [])
        // a create interrupted at the end, or retried after a timeout, may have run without an answer
        const extra = (yield* sm.count()) - before.length - acknowledged.length
        assert.isAtLeast(extra, 0)
        assert.isAtMost(extra, 1 + errors.length)
        console.log(
          `cluster reshard: 3000 slots moved under load; ${acknowledged.length} sessions created meanwhile, ` +
            `${errors.length} typed errors retried, none lost`
        )
      }).pipe(Effect.scoped),
    90_000
  )
})
