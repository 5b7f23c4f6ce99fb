import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Deadlines.test.ts checks that settled calls are garbage collected, and where V8 allocates entries
    poolOptions: { forks: { execArgv: ["--expose-gc", "--allow-natives-syntax"] } },
    sequence: { concurrent: false }
  }
})
