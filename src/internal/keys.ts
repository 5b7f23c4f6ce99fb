/**
 * Key naming, in one place. Every key of a namespace starts with the Redis Cluster hash tag
 * `{namespace}`, so all keys one script touches hash to one slot.
 *
 * Layout (namespace `app`):
 * - `{app}:s:<sessionId>`  hash: one session (fields in `Schema.HashField`)
 * - `{app}:u:<userId>`     sorted set: the user's session ids, scored by last access (ms)
 * - `{app}:a`              sorted set: every session id, scored by last access (ms)
 * - `{app}:x`              sorted set: ids of sessions that expire, scored by expiry (ms)
 * - `{app}:U`              sorted set: user ids with sessions, scored by their latest access (ms)
 *
 * User ids go last in their key, after a fixed prefix whose namespace can hold no brace, so no
 * user id can reach another key type, another namespace, or change the hash slot.
 */

/** The keys of one namespace. */
export interface Keyspace {
  readonly namespace: string
  /** `{namespace}:`: scripts build session and user keys from it. */
  readonly prefix: string
  readonly activity: string
  readonly expiries: string
  readonly users: string
  readonly session: (sessionId: string) => string
  readonly user: (userId: string) => string
}

/** The keyspace of a (validated) namespace. */
export const keyspace = (namespace: string): Keyspace => {
  const prefix = `{${namespace}}:`
  return {
    namespace,
    prefix,
    activity: `${prefix}a`,
    expiries: `${prefix}x`,
    users: `${prefix}U`,
    session: (sessionId) => `${prefix}s:${sessionId}`,
    user: (userId) => `${prefix}u:${userId}`
  }
}
