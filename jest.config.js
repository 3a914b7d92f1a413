/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/setup.ts'],
  // Inflates the Chromium of @sparticuz/chromium for the browser tests (test/browser/launch.ts).
  globalSetup: '<rootDir>/test/browser/global-setup.ts',
  testTimeout: 60000,
};
