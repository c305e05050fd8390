// Browser tests of Recourse: the release binary serves a fresh demo database, and Debian's
// Chromium drives it with JavaScript off (journeys) and on (axe scans only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// Browsers cannot be downloaded on the build machines: use the system Chromium.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

const PORT = Number(process.env.RECOURSE_E2E_PORT ?? 3210);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const CHROMIUM = process.env.RECOURSE_E2E_CHROMIUM ?? '/usr/bin/chromium';

// This file is evaluated by the runner and again in every worker. Workers inherit the runner's
// environment, so the runner creates the database directory once per run and owns its removal.
let dbDir = process.env.RECOURSE_E2E_DB_DIR;
if (!dbDir) {
  const created = fs.mkdtempSync(path.join(os.tmpdir(), 'recourse-e2e-'));
  process.env.RECOURSE_E2E_DB_DIR = dbDir = created;
  // The web server has been stopped by the time the runner exits. RECOURSE_E2E_KEEP_DB=1 keeps it.
  process.on('exit', () => {
    if (!process.env.RECOURSE_E2E_KEEP_DB) fs.rmSync(created, { recursive: true, force: true });
  });
}
const databaseUrl = `sqlite:${path.join(dbDir, 'e2e.db')}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: 'list',
  use: {
    baseURL: BASE_URL,
    // A fixed English browser, so tests that do not ask for a language get English.
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  projects: [
    {
      // The no-JS guarantee: every journey runs with JavaScript off.
      name: 'no-js',
      testIgnore: /.*\.axe\.spec\.ts$/,
      use: { javaScriptEnabled: false },
    },
    {
      // axe-core runs as a script in the page, so these scans need JavaScript on.
      name: 'axe',
      testMatch: /.*\.axe\.spec\.ts$/,
      use: { javaScriptEnabled: true },
    },
  ],
  webServer: {
    command: `../target/release/recourse demo --database-url '${databaseUrl}' --addr 127.0.0.1:${PORT}`,
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    // The demo accounts go to stdout; warnings and errors still reach the test output.
    stdout: 'ignore',
    stderr: 'pipe',
    env: { RECOURSE_LOG: process.env.RECOURSE_LOG ?? 'warn,sqlx=warn' },
  },
});
