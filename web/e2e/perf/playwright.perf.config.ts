// The chat's performance figures (not part of the suite, whose testMatch is *.spec.ts):
// WEB_E2E_SERVER_BIN=… WEB_E2E_WEB_DIR=$PWD/dist npx playwright test -c e2e/perf/playwright.perf.config.ts
import base from '../../playwright.config';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '**/*.perf.ts',
  timeout: 600_000,
});
