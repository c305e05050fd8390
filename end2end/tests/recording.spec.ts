// The recorder's journey with JavaScript off: find a subject, read their record, record an event
// (and see a refusal first), record a blacklist entry and then the delivery of its notice.
// Uses Chen Jie, whom no other spec changes; references are unique per run.
import { expect, test, type Page } from '@playwright/test';
import { screenshots } from './helpers';

// The traffic police by default; the court's recorder for listings (only the court holds a
// mandate for its list).
async function signInAsRecorder(page: Page, name = 'demo-recorder', password = 'traffic-demo-2026') {
  await page.goto('/recording');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Frecording$/);
  await page.getByLabel('Sign-in name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/recording$/);
}

async function openChenJie(page: Page) {
  await page.getByLabel('Find a subject').fill('chen jie');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Chen Jie', exact: true }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Chen Jie');
  await expect(page.getByText('Your opening of this record has been written down')).toBeVisible();
}

test('a recorder records an event, after a refusal that names the problem', async ({ page }) => {
  await signInAsRecorder(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Record');
  await openChenJie(page);
  await page.getByRole('link', { name: 'Record an event' }).click();
  const reference = `E2E-${Date.now()}`;
  await page.getByLabel('Scheme').selectOption({ label: 'Rongcheng social credit points' });
  await page.getByLabel('Rule code').fill('NOPE-99');
  await page.getByLabel('The date and time it happened').fill('2026-01-05T09:30');
  await page.getByLabel('Source').fill('Ticket 5521');
  await page.getByLabel('Your reference').fill(reference);
  await page.getByRole('button', { name: 'Record the event' }).click();
  await expect(page.getByRole('alert')).toContainText("No rule NOPE-99 is published in this scheme's catalogue.");
  await expect(page.getByLabel('Your reference')).toHaveValue(reference);
  await screenshots(page, 'recording-event-refused');

  await page.getByLabel('Rule code').fill('TRAFFIC-01');
  await page.getByRole('button', { name: 'Record the event' }).click();
  await expect(page.getByRole('status')).toHaveText('The event was recorded and the subject was sent a notice.');
  await expect(page.getByRole('cell', { name: reference })).toBeVisible();
});

test('a recorder lists a subject, and the entry waits for its notice', async ({ page }) => {
  await signInAsRecorder(page, 'demo-court', 'court-demo-2026');
  await openChenJie(page);
  await page.getByRole('link', { name: 'Record a blacklist entry' }).click();
  const caseNumber = `(2026) E2E ${Date.now()}`;
  const start = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Case number').fill(caseNumber);
  await page.getByLabel('Legal basis').fill('Civil Procedure Law, art. 262');
  await page.getByLabel('Reason').fill('Did not pay what a final judgment ordered');
  await page.getByLabel('Buying plane tickets').check();
  await page.getByLabel('Takes effect on').fill(start);
  await page.getByLabel('Amount to pay').fill('800.00');
  await page.getByRole('button', { name: 'Record the entry' }).click();
  await expect(page.getByRole('status')).toContainText('It restricts nothing until its notice is delivered.');

  await page.getByRole('link', { name: 'Back to Record' }).click();
  await page.getByRole('link', { name: caseNumber }).click();
  await expect(page.getByText('notice not yet delivered')).toBeVisible();
  await page.getByLabel('How it was delivered').fill('Handed over in person');
  await page.getByRole('button', { name: 'Record the delivery' }).click();
  await expect(page.getByRole('status')).toHaveText('The delivery of the notice was recorded.');
  await expect(page.getByText('takes effect later')).toBeVisible();
  await screenshots(page, 'recording-entry');
});
