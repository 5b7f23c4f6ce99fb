/**
 * Reads a namespace's raw Redis keyspace and checks the invariants the scripts keep: every index
 * entry has its session; a forward record of a rotated id expires; a session's hash holds only the format's fields (its last access is its
 * score in its user's index, its expiry follows); every session is in its indexes (a regular one,
 * expiring exactly the namespace's recorded regular ttl after its last access, in `r` only; any
 * other in `a`, and in `x` when it expires); the users index holds exactly the users with
 * sessions, with the right scores; `r` and `x` have a native TTL when sessions in them do.
 */
import type { Cluster, Redis } from "ioredis"
import { dataPrefix, fieldPrefix, sessionField as F } from "../../src/internal/redis/format.js"
import { rotatedIdReach } from "../../src/SessionStore.js"

const fixedFields = new Set<string>(Object.values(F))

/**
 * Every session and index key of a namespace, in all its shards (SCAN, fine for tests). The
 * namespace's meta record (`{ns}:meta`, its shard count) is left out: it is meant to stay.
 */
export const namespaceKeys = async (client: Redis | Cluster, namespace: string): Promise<Array<string>> => {
  const keys: Array<string> = []
  const nodes = "nodes" in client ? client.nodes("master") : [client]
  for (const node of nodes) {
    let cursor = "0"
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", `{${namespace}[}#]*`, "COUNT", "1000")
      cursor = next
      keys.push(...batch)
    } while (cursor !== "0")
  }
  return keys.filter((key) => key !== `{${namespace}}:meta`).sort()
}

const zsetScores = async (client: Redis | Cluster, key: string): Promise<Map<string, number>> => {
  const flat = await client.zrange(key, "0", "-1", "WITHSCORES")
  const map = new Map<string, number>()
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i]!, Number(flat[i + 1]))
  return map
}

/** Returns the list of invariant violations (empty when the keyspace is consistent), shard by shard. */
export const keyspaceViolations = async (client: Redis | Cluster, namespace: string): Promise<Array<string>> => {
  const keys = await namespaceKeys(client, namespace)
  const prefixes = new Set(keys.map((key) => key.slice(0, key.indexOf("}") + 2)))
  const violations: Array<string> = []
  const regularTtl = Number(await client.hget(`{${namespace}}:meta`, "regularTtl") ?? "0")
  for (const prefix of prefixes) {
    violations.push(
      ...(await shardViolations(client, prefix, keys.filter((key) => key.startsWith(prefix)), regularTtl))
    )
  }
  return violations
}

const shardViolations = async (
  client: Redis | Cluster,
  prefix: string,
  keys: Array<string>,
  regularTtl: number
): Promise<Array<string>> => {
  const sessionKeys = keys.filter((k) => k.startsWith(`${prefix}s:`))
  const userKeys = keys.filter((k) => k.startsWith(`${prefix}u:`))
  const known = new Set([`${prefix}r`, `${prefix}a`, `${prefix}x`])
  const violations: Array<string> = []
  for (const key of keys) {
    if (key.startsWith(`${prefix}f:`)) {
      // a rotated session's forward record: the id it moved to, for a while
      const ttl = await client.pttl(key)
      if (ttl < 0 || ttl > rotatedIdReach + 1000) violations.push(`forward record ${key} without its ttl (${ttl})`)
      continue
    }
    if (!known.has(key) && !key.startsWith(`${prefix}s:`) && !key.startsWith(`${prefix}u:`)) {
      violations.push(`unexpected key ${key}`)
    }
  }
  const regular = await zsetScores(client, `${prefix}r`)
  const activity = await zsetScores(client, `${prefix}a`)
  const expiries = await zsetScores(client, `${prefix}x`)
  const sessions = new Map<string, Record<string, string>>()
  for (const key of sessionKeys) sessions.set(key.slice(prefix.length + 2), await client.hgetall(key))

  const userScores = new Map<string, Map<string, number>>()
  for (const key of userKeys) userScores.set(key.slice(prefix.length + 2), await zsetScores(client, key))

  const byUser = new Map<string, Map<string, number>>()
  /** The index keys (r, x) holding sessions with a native TTL: each needs one too. */
  const ttlNeeded = new Set<string>()
  for (const [id, hash] of sessions) {
    // the hash holds only the format's fields (no expiry: it follows from last access, ttl and deadline)
    for (const field of Object.keys(hash)) {
      if (!fixedFields.has(field) && !field.startsWith(fieldPrefix) && !field.startsWith(dataPrefix)) {
        violations.push(`session ${id}: unexpected field ${field}`)
      }
    }
    for (const field of [F.userId, F.createdAt, F.lastAccess, F.ttl]) {
      if (!(field in hash)) violations.push(`session ${id}: no field ${field}`)
    }
    if (F.deadline in hash && Number(hash[F.deadline]) === 0) violations.push(`session ${id}: stored deadline 0`)
    const userId = hash[F.userId]!
    const last = userScores.get(userId)?.get(id)
    if (last === undefined) {
      violations.push(`session ${id}: not in its user's index`)
      continue
    }
    if (Number(hash[F.lastAccess]) !== last) {
      violations.push(`session ${id}: last access ${hash[F.lastAccess]} != its score ${last} in its user's index`)
    }
    const ttl = Number(hash[F.ttl])
    const deadline = Number(hash[F.deadline] ?? 0)
    const idle = ttl > 0 ? last + ttl : 0
    const expires = deadline > 0 && (idle === 0 || deadline < idle) ? deadline : idle
    if (regularTtl > 0 && expires === last + regularTtl) {
      if (regular.get(id) !== last) {
        violations.push(`regular session ${id}: regular score ${regular.get(id)} != last access ${last}`)
      }
      if (activity.has(id)) violations.push(`regular session ${id}: also in activity`)
      if (expiries.has(id)) violations.push(`regular session ${id}: also in expiries`)
    } else {
      if (activity.get(id) !== last) {
        violations.push(`session ${id}: activity score ${activity.get(id)} != last access ${last}`)
      }
      if (regular.has(id)) violations.push(`session ${id}: not regular but in the regular index`)
      if (expires > 0 && expiries.get(id) !== expires) violations.push(`session ${id}: missing from expiries`)
      if (expires === 0 && expiries.has(id)) violations.push(`session ${id}: never expires but is in expiries`)
    }
    const user = byUser.get(userId) ?? new Map<string, number>()
    user.set(id, last)
    byUser.set(userId, user)
    // a session whose hash has a native TTL is in r or x only if that key has one too: a key without
    // one is kept for ever, which neither ever needs (each holds expiring sessions only); the user's
    // set and a may be kept for ever once they held a session that never expires
    if ((regular.has(id) || expiries.has(id)) && (await client.pttl(`${prefix}s:${id}`)) > 0) {
      ttlNeeded.add(`${prefix}${regular.has(id) ? "r" : "x"}`)
    }
  }
  for (const key of ttlNeeded) {
    if ((await client.pttl(key)) === -1) violations.push(`${key} has no native TTL, and holds sessions that have one`)
  }
  for (const id of regular.keys()) if (!sessions.has(id)) violations.push(`regular entry ${id} has no session`)
  for (const id of activity.keys()) if (!sessions.has(id)) violations.push(`activity entry ${id} has no session`)
  for (const id of expiries.keys()) if (!sessions.has(id)) violations.push(`expiries entry ${id} has no session`)
  for (const key of userKeys) {
    const userId = key.slice(prefix.length + 2)
    const entries = userScores.get(userId)!
    const expected = byUser.get(userId) ?? new Map<string, number>()
    for (const [id, score] of entries) {
      if (expected.get(id) !== score) {
        violations.push(`user ${userId}: entry ${id} (${score}) does not match its session`)
      }
    }
    for (const id of expected.keys()) if (!entries.has(id)) violations.push(`user ${userId}: session ${id} missing`)
  }
  for (const [userId, ids] of byUser) {
    if (!userKeys.includes(`${prefix}u:${userId}`)) {
      violations.push(`user ${userId}: no user index for ${ids.size} sessions`)
    }
  }
  return violations
}
