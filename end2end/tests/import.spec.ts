// The recorder's bulk import without JavaScript: upload a CSV file, choose to record the good
// rows, follow the import to its page and read the per-row report. Every row of the file is
// refused on purpose (unknown or malformed subject ids; a row gets its first problem), so the
// shared demo database is not changed for the other specs.
import { expect, test } from '@playwright/test';
import { signIn } from './helpers';

const NOBODY = '0193a5b2-7c1e-7d3a-9f00-1234567890ab';
const FILE = [
  'subject_id,scheme,rule_code,occurred_at,points,external_ref',
  `${NOBODY},rongcheng,TRAFFIC-01,2026-01-05,,E2E-IMPORT-1`,
  `not-an-id,rongcheng,TRAFFIC-01,2026-01-05,,E2E-IMPORT-2`,
  `${NOBODY},rongcheng,TRAFFIC-01,2999-01-01,,E2E-IMPORT-3`,
].join('\n');

test('a recorder imports a file without JavaScript and reads the per-row report', async ({ page }) => {
  await signIn(page, 'demo-recorder', 'traffic-demo-2026');
  await page.goto('/recording/import');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import events from a file');
  await page.locator('input[name=file]').setInputFiles({
    name: 'events.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(FILE, 'utf-8'),
  });
  await page.getByLabel('Record the good rows').check();
  await page.getByRole('button', { name: 'Import the file' }).click();
  await expect(page).toHaveURL(/\/recording\/import\/[0-9a-f-]+$/);
  // The page reloads itself (Refresh header) until the import is done.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import finished', { timeout: 20_000 });
  await expect(page.getByText('Recorded: 0')).toBeVisible();
  await expect(page.getByText('Refused: 3')).toBeVisible();
  const report = page.locator('table.import-problems');
  await expect(report).toContainText('no subject has this id');
  await expect(report).toContainText('subject is not a valid identifier');
  await expect(report.locator('tbody tr')).toHaveCount(3);
});

test('sending the form without a file says what is missing', async ({ page }) => {
  await signIn(page, 'demo-recorder', 'traffic-demo-2026');
  await page.goto('/recording/import');
  await page.getByRole('button', { name: 'Import the file' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose a CSV or JSON file to import.');
});
