// Jest runs in native ESM mode (node --experimental-vm-modules, see package.json) because
// @kubernetes/client-node is ESM-only. ts-jest only transpiles (isolatedModules); type
// checking is `npm run typecheck`.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsJest,
  // Sources import siblings as "./x.js" (NodeNext); map that back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // etcd and other test-environment state lives in .testenv; keep Jest's haste map out of it.
  modulePathIgnorePatterns: ['<rootDir>/.testenv/', '<rootDir>/dist/'],
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{operator,bot-runtime,scripts,console}/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/integration/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{operator,bot-runtime,testenv,scripts}/**/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/e2e/support/slow-timeouts.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/real-node/'],
      setupFilesAfterEnv: ['<rootDir>/e2e/support/slow-timeouts.ts'],
    },
    {
      // Needs `npm run testenv:up -- --real-node` and `npm run images`. Without the real node each
      // suite FAILS with one test naming why (e2e/real-node/support.ts describeOnRealNode): a skipped
      // suite would report green while checking nothing.
      ...common,
      displayName: 'real-node',
      testMatch: ['<rootDir>/e2e/real-node/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/e2e/support/slow-timeouts.ts'],
    },
  ],
};
