/**
 * What Redis reports about a timed run: `INFO commandstats` (reset before the run with
 * `CONFIG RESETSTAT`) and the server's CPU time (`INFO cpu`, user + system), and which commands run
 * inside scripts (seen through `MONITOR` in a short pass outside the timed runs).
 *
 * Redis counts a command that a script runs twice: under its own name, and inside the usec of the
 * `EVALSHA` that ran it. The total usec of a run therefore adds only the commands the clients sent.
 */
import type { Redis } from "ioredis"
import { redisCpuSeconds } from "../harness.js"

/** One command's `INFO commandstats` counters. */
export interface CommandStat {
  readonly calls: number
  readonly usec: number
}

/** `INFO commandstats`, by command name (lower case; subcommands as `config|resetstat`). */
export type CommandStats = Readonly<Record<string, CommandStat>>

/** The admin connection's own commands, left out of every run's figures. */
export const isAdminCommand = (command: string): boolean =>
  command === "info" || command === "monitor" || command.startsWith("config|")

/** Parses `INFO commandstats`. */
export const parseCommandStats = (info: string): CommandStats => {
  const stats: Record<string, CommandStat> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[match[1]!.toLowerCase()] = { calls: Number(match[2]), usec: Number(match[3]) }
  }
  return stats
}

/** What Redis did during one timed run. */
export interface RedisSample {
  /** The commandstats of the run, the admin connection's commands left out. */
  readonly commands: CommandStats
  /** The Redis process's CPU time over the run (`INFO cpu` delta, user + system), seconds. */
  readonly cpuSeconds: number
}

/** Resets commandstats, runs `work`, and reads what Redis did meanwhile. */
export const measureRedis = async <A>(
  admin: Redis,
  work: () => Promise<A>
): Promise<{ readonly result: A; readonly redis: RedisSample }> => {
  await admin.config("RESETSTAT")
  const before = await redisCpuSeconds(admin)
  const result = await work()
  const after = await redisCpuSeconds(admin)
  const all = parseCommandStats(await admin.info("commandstats"))
  const commands = Object.fromEntries(Object.entries(all).filter(([command]) => !isAdminCommand(command)))
  return { result, redis: { commands, cpuSeconds: after - before } }
}

/** Which commands a target's clients sent, and which its scripts ran. */
export interface Attribution {
  readonly sent: ReadonlyArray<string>
  readonly inScripts: ReadonlyArray<string>
}

/**
 * Watches `MONITOR` (on a connection of its own) while `work` runs: the commands seen from a script
 * (`[db lua]`) and from clients. Not timed: MONITOR costs Redis time of its own.
 */
export const attribute = async (admin: Redis, work: () => Promise<unknown>): Promise<Attribution> => {
  const sent = new Set<string>()
  const inScripts = new Set<string>()
  const monitor = await admin.monitor()
  monitor.on("monitor", (_time: string, args: ReadonlyArray<string>, source: string) => {
    const command = String(args[0] ?? "").toLowerCase()
    if (command === "" || isAdminCommand(command)) return
    if (source === "lua") inScripts.add(command)
    else sent.add(command)
  })
  try {
    await work()
    await new Promise((resolve) => setTimeout(resolve, 200)) // the last replies' MONITOR lines
  } finally {
    monitor.disconnect()
  }
  return { sent: [...sent].sort(), inScripts: [...inScripts].sort() }
}

/**
 * Whether a command's usec counts in a run's total: every command but those only ever seen inside
 * scripts (their time is already in the script's usec).
 */
export const countsInTotal = (attribution: Attribution, command: string): boolean =>
  attribution.sent.includes(command) || !attribution.inScripts.includes(command)
