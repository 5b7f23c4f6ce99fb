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
 * The `RedisClient` service and its layers (Redis, caller's client, in-memory).
 *
 * @since 0.1.0
 */
export * as RedisLayer from "./RedisLayer.js"

/**
 * Schemas: ids, ttl, options, the stored session codec.
 *
 * @since 0.1.0
 */
export * as Schema from "./Schema.js"

/**
 * The `Session` value, its derived values and operations.
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
