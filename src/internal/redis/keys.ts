/**
 * Key naming and sharding, in one place. A namespace is spread over `shards` Redis Cluster hash
 * slots: every key of shard `s` starts with the hash tag `{namespace#s}` (`{namespace}` when there
 * is one shard), so all keys one script touches hash to one slot.
 *
 * Layout of one shard (namespace `app`, one shard):
 * - `{app}:s:<sessionId>`  hash: one session (fields in `format.ts`)
 * - `{app}:u:<userId>`     sorted set: the user's session ids, scored by last access (ms)
 * - `{app}:r`              sorted set: the shard's regular session ids (expiring exactly the
 *                          namespace's regular ttl after their last access), scored by last access (ms)
 * - `{app}:a`              sorted set: the shard's other session ids, scored by last access (ms)
 * - `{app}:x`              sorted set: ids of those other sessions that expire, scored by expiry (ms)
 * - `{app}:f:<sessionId>`  string: the id a session was rotated to, for a while after (see `rotate.lua`)
 * - `{app}:meta`           hash: the namespace's layout record (always under `{app}`; no TTL)
 *
 * There is no index of users: the users active in a window are those of the sessions active in it
 * (`list.lua` reads each one's user from its hash), which spares every create, touch and removal a
 * write, and a user with one session about a hundred bytes.
 *
 * A user lives in shard `fnv1a(userId) % shards`, with all their sessions; a session id made for
 * more than one shard starts with its shard (`3.<16 characters>`), so a lookup by id goes straight
 * to its slot. User ids go last in their key, after a fixed prefix whose namespace can hold no
 * brace or `#`, so no user id can reach another key type, namespace or slot.
 */

/** What follows the shard's prefix in a session's key, before its id. */
const sessionKeyPrefix = "s:"
/** What follows the shard's prefix in a user's key, before the user id. */
const userKeyPrefix = "u:"
/** What follows the shard's prefix in a rotated session's forward record, before its old id. */
const forwardKeyPrefix = "f:"

/** The key prefixes as Lua locals: scripts build the keys of sessions and users they find in an index. */
export const luaConstants: ReadonlyArray<readonly [name: string, value: string]> = [
  ["SESSION_KEY", `'${sessionKeyPrefix}'`],
  ["USER_KEY", `'${userKeyPrefix}'`],
  ["FORWARD_KEY", `'${forwardKeyPrefix}'`]
]

/** The keys of one shard of a namespace. */
export interface Keyspace {
  readonly namespace: string
  /** `{namespace}:` or `{namespace#shard}:`: scripts build session and user keys from it. */
  readonly prefix: string
  readonly activity: string
  readonly expiries: string
  readonly regular: string
  /** `{namespace}:meta`, whatever the shard: the namespace's record of its layout. */
  readonly meta: string
  readonly session: (sessionId: string) => string
  readonly user: (userId: string) => string
  readonly forward: (sessionId: string) => string
}

/** CRC16/XMODEM, the hash Redis Cluster maps keys to slots with (`slot = crc16(tag) % 16384`). */
const crc16 = (bytes: Uint8Array): number => {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

/** The Redis Cluster hash slot of a hash tag's content. */
const slotOf = (tag: string): number => crc16(encoder.encode(tag)) % 16384

/**
 * The Redis Cluster hash slot of a key, as Redis computes it: of its hash tag (what lies between
 * its first `{` and the first `}` after it, when not empty), else of the whole key.
 */
export const keySlot = (key: string): number => {
  const open = key.indexOf("{")
  const close = open < 0 ? -1 : key.indexOf("}", open + 1)
  return slotOf(close > open + 1 ? key.slice(open + 1, close) : key)
}

/**
 * The hash tag of shard `shard` of `shards`: `namespace#shard.k`, with the smallest `k` whose slot
 * falls in the shard's sixteen-thousandth share of the slot space. A new cluster gives each master
 * a contiguous range of slots, so evenly spaced shards spread evenly over the masters. Every app
 * instance computes the same tags.
 */
const shardTag = (namespace: string, shard: number, shards: number): string => {
  const from = Math.floor(shard * 16384 / shards)
  const to = Math.floor((shard + 1) * 16384 / shards)
  for (let k = 0;; k++) {
    const tag = `${namespace}#${shard}.${k}`
    const slot = slotOf(tag)
    if (slot >= from && slot < to) return tag
  }
}

/** The keyspace of shard `shard` of a (validated) namespace spread over `shards` shards. */
export const keyspace = (namespace: string, shard = 0, shards = 1): Keyspace => {
  const prefix = shards === 1 ? `{${namespace}}:` : `{${shardTag(namespace, shard, shards)}}:`
  return {
    namespace,
    prefix,
    activity: `${prefix}a`,
    expiries: `${prefix}x`,
    regular: `${prefix}r`,
    meta: `{${namespace}}:meta`,
    session: (sessionId) => `${prefix}${sessionKeyPrefix}${sessionId}`,
    user: (userId) => `${prefix}${userKeyPrefix}${userId}`,
    forward: (sessionId) => `${prefix}${forwardKeyPrefix}${sessionId}`
  }
}

const encoder = new TextEncoder()

/** The shard of a user: FNV-1a (32 bits) of its UTF-8 bytes, modulo `shards`. */
export const userShard = (userId: string, shards: number): number => {
  if (shards === 1) return 0
  let hash = 0x811c9dc5
  for (const byte of encoder.encode(userId)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash % shards
}

/** The shard a (validated) session id names: its prefix before the dot, 0 when it has none. */
export const sessionShard = (sessionId: string): number => {
  const dot = sessionId.indexOf(".")
  return dot < 0 ? 0 : Number(sessionId.slice(0, dot))
}
