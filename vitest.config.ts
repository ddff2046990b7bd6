import { defineConfig } from 'vitest/config';

// Lambda runs Node 22; the SDK's notice about Node 20 support is noise on a Node 20 workstation.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/pii-scan-teardown.ts'],
    setupFiles: ['test/setup-env.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
