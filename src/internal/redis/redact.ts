/**
 * What of a connection's details a `RedisError` may show. A driver's error is kept as a cause by its
 * reply's text, name and code only: ioredis attaches the command it sent (`command: { name, args }`),
 * and the `HELLO ... AUTH` or `AUTH` of a connect holds the password, a script call the session ids;
 * a Cluster's error carries its last node's error, kept the same way. A URL is shown without its
 * credentials and its options (ioredis also reads a `?password=`).
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

/**
 * A Redis URL to show: no credentials (everything up to the authority's last `@`, as ioredis reads
 * a password holding an unencoded `@`) and no options (the query, which may hold a password).
 */
export const redactUrl = (url: string): string => {
  const slashes = url.indexOf("//")
  const scheme = slashes === -1 ? "" : url.slice(0, slashes + 2)
  let rest = slashes === -1 ? url : url.slice(slashes + 2)
  const at = rest.lastIndexOf("@")
  const credentials = at !== -1
  if (credentials) rest = rest.slice(at + 1)
  const options = rest.search(/[?#]/)
  if (options !== -1) rest = rest.slice(0, options)
  return `${scheme}${credentials ? "<credentials>@" : ""}${rest}${options !== -1 ? "?<options>" : ""}`
}
