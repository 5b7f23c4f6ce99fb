import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Deadlines.test.ts checks that settled calls are garbage collected
    poolOptions: { forks: { execArgv: ["--expose-gc"] } },
    sequence: { concurrent: false }
  }
})
