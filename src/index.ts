/**
 * effect-redisess: a Redis session manager for Effect.
 *
 * @since 0.1.0
 */

/**
 * Tagged errors: `RedisError`, `SessionNotFound`, `ValidationError`, `DecodeError`.
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * The store port: the `RedisClient` service, the `SessionStore` interface it opens, their types.
 *
 * @since 0.2.0
 */
export * as SessionStore from "./SessionStore.js"

/**
 * The layers of the `RedisClient` service (Redis, caller's client, in-memory).
 *
 * @since 0.1.0
 */
export * as RedisLayer from "./RedisLayer.js"

/**
 * Schemas: ids, ttl, options.
 *
 * @since 0.1.0
 */
export * as Schema from "./Schema.js"

/**
 * The `Session` value and its derived values.
 *
 * @since 0.1.0
 */
export * as Session from "./Session.js"

/**
 * Session data: the value type and its storage encoding.
 *
 * @since 0.1.0
 */
export * as SessionData from "./SessionData.js"

/**
 * The `SessionManager` service: every redisess operation as an Effect program.
 *
 * @since 0.1.0
 */
export * as SessionManager from "./SessionManager.js"

/**
 * The session manager as promises, for code outside Effect: calls made together run as one program.
 *
 * @since 0.2.0
 */
export * as PromiseApi from "./PromiseApi.js"
