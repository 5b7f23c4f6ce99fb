/**
 * What of a connection's details a `RedisError` may show. A driver's error is kept as a cause by its
 * reply's text, name and code only: ioredis attaches the command it sent (`command: { name, args }`),
 * and the `HELLO ... AUTH` or `AUTH` of a connect holds the password, a script call the session ids;
 * a Cluster's error carries its last node's error, kept the same way.
 */

/** A driver's error as a `RedisError` keeps it (see the module's doc); anything else as it is. */
export const safeCause = (cause: unknown): unknown => {
  if (!(cause instanceof Error)) return cause
  const error = new Error(cause.message)
  error.name = cause.name
  const { code, lastNodeError } = cause as { readonly code?: unknown; readonly lastNodeError?: unknown }
  if (code !== undefined) Object.assign(error, { code })
  // a Cluster's "Failed to refresh slots cache." says why only through its last node's error
  if (lastNodeError instanceof Error && lastNodeError !== cause) {
    Object.assign(error, { lastNodeError: safeCause(lastNodeError) })
  }
  return error
}
