// End-to-end tests of the web app in Debian's Chromium (never a downloaded browser), each file
// against its own real `tidings` server on loopback (e2e/server.ts). Run through
// `cargo test -p tidings-tests --test web_app`, which passes the server binary, or by hand:
// WEB_E2E_SERVER_BIN=$CARGO_TARGET_DIR/debug/tidings npx playwright test
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Two cores: one browser at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.WEB_E2E_OUTPUT ?? 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // This machine's network is closed: no background fetches, no sync, no component updates.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
