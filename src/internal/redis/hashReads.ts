/**
 * Reads of session hashes sent as plain commands, not scripts: the `HMGET`s (or `HGETALL`s) made in
 * the same turn of the event loop (`turn.ts`) for one connection go to Redis together, between two
 * `TIME`s, in one write (where reads come one at a time, a turn's first goes at once: `turn.ts`):
 * on one server the reads of every shard, on a Cluster those of the shards whose slots one master
 * serves. A plain command costs Redis a fraction of a script call (no script run, no loop over
 * calls, no table turned into a reply), so a read that changes nothing costs it about what a
 * redisess read does.
 *
 * The two times bound the moment each `HMGET` ran: Redis runs one connection's commands in order,
 * so every read ran at or after the first time and at or before the second. The caller decides from
 * them whether what it read was live then (`store.ts`), and sends the call as a script when the
 * bounds cannot tell (a session expiring between them) or a command failed.
 *
 * Identical reads made together are read once, all their callers getting the values: the requests
 * a page fires at once with one cookie cost one `HMGET`. One write carries at most `maxReads`
 * reads, so the time between its two `TIME`s stays short.
 *
 * With the store's `readBatches: "script"`, a batch of `scriptedFrom` reads or more goes instead as
 * one call of the reads script (`lua/reads.lua`), which reads them all and the time at one moment,
 * unless it holds more than `scriptedWholes` whole-hash reads: those go as commands, each one short.
 */
import type { Cluster, Redis } from "ioredis"
import * as Command from "./command.js"
import type { Waiter } from "./gather.js"
import * as Keys from "./keys.js"
import * as Turn from "./turn.js"

/** What a read's caller is told: the values read and the bounds of when, or the error. */
export interface ReadWaiter {
  /**
   * The values of the fields asked for (null where absent), or for a whole hash its fields and
   * values in turn (none when it is absent); and the server's clock (unix ms, as a script reads it)
   * just before and just after they were read.
   */
  readonly ok: (values: ReadonlyArray<string | null>, from: number, to: number) => void
  readonly fail: (error: unknown) => void
}

/**
 * Most reads between two `TIME`s. Small enough that many reads in flight make several batches: a
 * full one goes at once, and Redis answers it while Node makes the rest of the turn's reads (one
 * batch for all would take turns, each side waiting for the other).
 */
export const maxReads = 32

/** A read of a batch: its key, fields (undefined: the whole hash) and callers (the first, then any identical reads). */
interface Read {
  readonly key: string
  readonly fields: ReadonlyArray<string> | undefined
  readonly waiters: Array<ReadWaiter>
}

/**
 * Where batches go: one connection (a server, or a Cluster's master) and the reads bound for it,
 * whatever their shard; its batch open to new reads, if any.
 */
interface Lane {
  open: Batch | undefined
  /** A Cluster master's lane: that master's address (host:port) in the cluster's slot table. */
  readonly address?: string
}

/** The reads of one lane waiting to go. */
interface Batch {
  readonly lane: Lane
  readonly reads: Array<Read>
  /** The reads by key, to find identical ones; made when a second read comes. */
  byKey: Map<string, Array<Read>> | undefined
  /** Its callers: one per read, and one per read joining an identical one. */
  callers: number
  /** How many of its reads read a whole hash. */
  wholes: number
}

const same = (a: ReadonlyArray<string> | undefined, b: ReadonlyArray<string> | undefined): boolean => {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A `TIME` reply as unix ms, as `lua/lib/now_ms.lua` reads it, or undefined when it is not one. */
export const millisOf = (reply: unknown): number | undefined => {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined
  const ms = Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000)
  return Number.isSafeInteger(ms) ? ms : undefined
}

/** An HGETALL reply (the driver makes it an object) as fields and values in turn. */
const pairsOf = (reply: unknown): Array<string> | undefined => {
  if (typeof reply !== "object" || reply === null) return undefined
  const pairs: Array<string> = []
  for (const [field, value] of Object.entries(reply)) {
    if (typeof value !== "string") return undefined
    pairs.push(field, value)
  }
  return pairs
}

const failAll = (reads: ReadonlyArray<Read>, error: unknown) => {
  for (const read of reads) for (const waiter of read.waiters) waiter.fail(error)
}

/** Tells a read's callers its values (a whole hash's as fields and values in turn) read between `from` and `to`, or its error. */
const tell = (read: Read, error: unknown, values: unknown, from: number, to: number) => {
  const { fields, waiters } = read
  const ok = error === null && Array.isArray(values) && (fields === undefined || values.length === fields.length)
  for (const waiter of waiters) {
    if (ok) waiter.ok(values, from, to)
    else waiter.fail(error ?? new Error(`Unexpected reply to ${fields === undefined ? "HGETALL" : "HMGET"}`))
  }
}

/** Tells each read its values and bounds, or its error (`results`: the `TIME`, each `HMGET`'s, the `TIME`). */
const settle = (reads: ReadonlyArray<Read>, results: ReadonlyArray<[Error | null, unknown]> | null) => {
  if (results === null || results.length !== reads.length + 2) {
    return failAll(reads, new Error("Unexpected replies to a run of reads"))
  }
  const [fromError, fromReply] = results[0]!
  const [toError, toReply] = results[results.length - 1]!
  const from = millisOf(fromReply)
  const to = millisOf(toReply)
  if (fromError !== null || toError !== null || from === undefined || to === undefined) {
    return failAll(reads, fromError ?? toError ?? new Error("Unexpected reply to TIME"))
  }
  for (let i = 0; i < reads.length; i++) {
    const [error, reply] = results[i + 1]!
    const read = reads[i]!
    tell(read, error, error !== null ? undefined : read.fields === undefined ? pairsOf(reply) : reply, from, to)
  }
}

/**
 * Tells each read its values, or its error, from the reply of the reads script: each read's values
 * (a whole hash's as fields and values in turn; an error where it failed), then the `TIME`, the
 * moment every read ran.
 */
const settleScripted = (reads: ReadonlyArray<Read>, reply: unknown) => {
  const at = Array.isArray(reply) && reply.length === reads.length + 1 ? millisOf(reply[reads.length]) : undefined
  if (at === undefined) return failAll(reads, new Error("Unexpected reply to a run of reads"))
  for (let i = 0; i < reads.length; i++) {
    const values: unknown = (reply as ReadonlyArray<unknown>)[i]
    tell(reads[i]!, values instanceof Error ? values : null, values, at, at)
  }
}

/** The reads of every shard of one client, gathered per connection. */
export interface HashReads {
  /** The reads of one shard: they go with those of the other shards on the same connection (see `make`). */
  readonly shard: () => ShardReads
}

/** The reads of one shard. */
export interface ShardReads {
  /** Reads `fields` of hash `key` (undefined: all of it) with the shard's other reads of this turn. */
  readonly submit: (key: string, fields: ReadonlyArray<string> | undefined, waiter: ReadWaiter) => void
}

/**
 * Sends the reads script (`Scripts.reads`) with its keys then arguments in `argv`, telling `waiter`
 * its reply or error (the store's FCALL, or EVALSHA).
 */
export type SendReads = (numKeys: number, argv: Array<string>, waiter: Waiter) => void

/**
 * From how many reads a batch goes as one call of the reads script instead of a command each
 * (where the store sends it): one command for Node to write and parse instead of one per read and
 * two `TIME`s, for about twice the Redis time per read (`docs/redis.md`). A lone read stays a plain
 * command, a round trip as short as they come.
 */
export const scriptedFrom = 4

/**
 * The most whole-hash reads (`getAllData`) one call of the reads script carries. One costs Redis
 * up to what a full batch of `HMGET`s does (a session's data keys, at most the manager's
 * `maxDataKeys`), so a batch of more goes as commands: each its own short command.
 */
export const scriptedWholes = 1

/**
 * Gathers reads sent on `client` (as one call of the reads script by `sendReads`, where given); with
 * `atOnce`, a lone turn's first batch goes at once (`turn.ts`).
 */
export const make = (client: Redis | Cluster, atOnce: boolean, sendReads?: SendReads): HashReads => {
  /**
   * The reads as the arguments of the reads script: keys, the field lists they use (each once: the
   * reads of one operation share theirs) as length (-1: all) and fields, then each key's list.
   */
  const scripted = (send: SendReads, reads: ReadonlyArray<Read>) => {
    const argv: Array<string> = []
    for (const { key } of reads) argv.push(key)
    // a list is found by identity (an operation passes the same array each time), else compared
    const lists: Array<ReadonlyArray<string> | undefined> = []
    const listArgs: Array<string> = []
    const listOf: Array<string> = []
    for (const { fields } of reads) {
      let at = lists.indexOf(fields) + 1
      if (at === 0) at = lists.findIndex((list) => same(list, fields)) + 1
      if (at === 0) {
        lists.push(fields)
        at = lists.length
        if (fields === undefined) listArgs.push("-1")
        else {
          listArgs.push(String(fields.length))
          for (const field of fields) listArgs.push(field)
        }
      }
      listOf.push(String(at))
    }
    argv.push(String(lists.length))
    for (const arg of listArgs) argv.push(arg)
    for (const at of listOf) argv.push(at)
    send(reads.length, argv, {
      ok: (reply) => settleScripted(reads, reply),
      fail: (error) => failAll(reads, error)
    })
  }

  /**
   * On one connection: `TIME`, the `HMGET`s, `TIME` as separate commands written in one go (the
   * socket corked meanwhile): Node makes one command each instead of a pipeline around them, and
   * the replies come in order, so each read still ran between the two times.
   */
  const corked = (redis: Redis, reads: ReadonlyArray<Read>) => {
    const results: Array<[Error | null, unknown]> = new Array(reads.length + 2)
    let left = reads.length + 2
    const arrive = (at: number, result: [Error | null, unknown]) => {
      results[at] = result
      if (--left === 0) settle(reads, results)
    }
    const send = (at: number, command: Promise<unknown>) =>
      command.then((reply) => arrive(at, [null, reply]), (error: Error) => arrive(at, [error, null]))
    const stream = redis.status === "ready" ? redis.stream : undefined
    stream?.cork()
    try {
      send(0, Command.send(redis, "time", []))
      for (let i = 0; i < reads.length; i++) {
        const { fields, key } = reads[i]!
        send(
          i + 1,
          fields === undefined ? Command.send(redis, "hgetall", [key]) : Command.send(redis, "hmget", [key, ...fields])
        )
      }
      send(reads.length + 1, Command.send(redis, "time", []))
    } finally {
      stream?.uncork()
    }
  }

  /** The address (host:port) of the master that the cluster's slot table names for `slot`, if any. */
  const masterOf = (cluster: Cluster, slot: number): string | undefined => cluster.slots[slot]?.[0]

  /**
   * On a Cluster, the connection of the master at `address` (a master's lane's, else the one serving
   * the slot of the batch's first key), when it is ready: the batch then goes as on one server
   * (`corked`), at half the Node time of a pipeline. Where the table is stale (a slot moved, a
   * failover), the node answers MOVED and the read goes by its script, which the cluster routes and
   * whose redirection refreshes the table. Undefined while the table names no ready node: then a
   * pipeline (which the cluster refuses, and the reads go by script, should the batch's slots no
   * longer share a master).
   */
  const nodeAt = (cluster: Cluster, address: string | undefined): Redis | undefined => {
    if (address === undefined) return undefined
    for (const node of cluster.nodes("master")) {
      if (node.status === "ready" && `${node.options.host}:${node.options.port}` === address) return node
    }
    return undefined
  }

  /** On a Cluster without a ready node for the slot: a pipeline, which the cluster routes, `TIME`s included. */
  const pipelined = (cluster: Cluster, reads: ReadonlyArray<Read>) => {
    const pipeline = cluster.pipeline()
    pipeline.time()
    for (const { fields, key } of reads) {
      if (fields === undefined) pipeline.hgetall(key)
      else pipeline.hmget(key, ...fields)
    }
    pipeline.time()
    pipeline.exec().then(
      (results) => settle(reads, results),
      (error: unknown) => failAll(reads, error)
    )
  }

  /** Sends a batch (closed: no read joins it any more). */
  const go = (batch: Batch) => {
    const { lane, reads } = batch
    if (lane.open === batch) lane.open = undefined
    try {
      if (sendReads !== undefined && reads.length >= scriptedFrom && batch.wholes <= scriptedWholes) {
        scripted(sendReads, reads)
      } else if (!client.isCluster) corked(client as Redis, reads)
      else {
        const cluster = client as Cluster
        const node = nodeAt(cluster, lane.address ?? masterOf(cluster, Keys.keySlot(reads[0]!.key)))
        if (node !== undefined) corked(node, reads)
        else pipelined(cluster, reads)
      }
    } catch (error) {
      // a driver that throws instead of rejecting: its callers are told, the event loop is not
      failAll(reads, error)
    }
  }

  const turn = Turn.make(go, (batch) => batch.callers, atOnce)

  /**
   * The lanes: on one server, one for every shard (one connection: the reads of all shards of a
   * turn share two `TIME`s); on a Cluster, one per master, by the slot table (the shards of one
   * master share them the same way). A shard keeps a lane of its own for where its reads must go
   * apart: a Cluster whose table names no master for its slot (a pipeline, which the cluster
   * routes by slot), or the reads script (all of one call's keys in one slot).
   */
  const serverLane: Lane = { open: undefined }
  const masterLanes = new Map<string, Lane>()
  const cluster = client.isCluster ? client as Cluster : undefined

  return {
    shard: () => {
      const own: Lane = { open: undefined }
      // a shard's keys share one hash tag, so one slot: found at its first read
      let slot: number | undefined
      const laneOf = (key: string): Lane => {
        if (cluster === undefined) return serverLane
        if (sendReads !== undefined) return own
        slot ??= Keys.keySlot(key)
        const address = masterOf(cluster, slot)
        if (address === undefined) return own
        let lane = masterLanes.get(address)
        if (lane === undefined) masterLanes.set(address, lane = { open: undefined, address })
        return lane
      }
      return {
        submit: (key, fields, waiter) => {
          const lane = laneOf(key)
          const batch = lane.open
          if (batch === undefined) {
            // sent at the turn's end, or now (a turn of few calls, see turn.ts)
            const opened: Batch = {
              lane,
              reads: [{ key, fields, waiters: [waiter] }],
              byKey: undefined,
              callers: 1,
              wholes: fields === undefined ? 1 : 0
            }
            lane.open = opened
            return void turn.due(opened)
          }
          batch.callers++
          const { reads } = batch
          batch.byKey ??= new Map([[reads[0]!.key, [reads[0]!]]])
          const found = batch.byKey.get(key)
          const twin = found?.find((read) => same(read.fields, fields))
          if (twin !== undefined) return void twin.waiters.push(waiter)
          const read = { key, fields, waiters: [waiter] }
          if (found === undefined) batch.byKey.set(key, [read])
          else found.push(read)
          reads.push(read)
          if (fields === undefined) batch.wholes++
          if (reads.length >= maxReads) turn.now(batch)
        }
      }
    }
  }
}
