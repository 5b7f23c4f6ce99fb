/**
 * Sending a command whose arguments are already flat strings, as `client.call(name, ...args)` would
 * (the same reply, as UTF-8 strings, and the same routing on a Cluster), without the driver copying
 * the arguments again: ioredis 6 flattens every command's arguments with `Array.prototype.flat`,
 * which V8 runs per element far slower than a loop (ioredis 5 used one), and a gathered script call
 * carries hundreds of arguments. docs/benchmarks.md has the figures.
 */
import { Command } from "ioredis"
import type { Cluster, Redis } from "ioredis"

/**
 * Sends `name` with `args`, each a string, on `client`; resolves to its reply (strings, not Buffers),
 * rejects with the driver's error. The command is made empty and given its arguments after: they
 * need neither flattening nor conversion, ioredis rewrites the arguments of none of the commands the
 * store sends (only those of HSET, HMSET, MSET and MSETNX), and the library refuses a `keyPrefix`
 * (`RedisLayer.ts`).
 */
export const send = (client: Redis | Cluster, name: string, args: Array<string>): Promise<unknown> => {
  const command = new Command(name, [], { replyEncoding: "utf8" })
  command.args = args
  return client.sendCommand(command) as Promise<unknown>
}
