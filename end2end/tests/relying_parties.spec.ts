// Relying parties, played from each side with JavaScript off: an administrator registers an
// airport check-in desk and gives it a token; the desk asks through the API whether Wang Fang may
// fly and learns only yes or no; Wang Fang reads who asked, why they say they may, and the answer.
// Then the demo's unacknowledged correction is flagged to administrators, and the subject's page
// reads at 360 px.
import { expect, test } from '@playwright/test';
import { signIn } from './helpers';

const PARTY = 'Rongcheng Airport Check-in Desk';
const PURPOSE = 'To refuse boarding passes to people a court has restricted from flying.';
const BASIS = 'Civil Aviation Law, art. 95; Provisions on Restricting High Consumption (2015), art. 3';

test('a party registered by an administrator asks one question and the subject reads it', async ({ page, request }) => {
  await signIn(page, 'demo-admin', 'admin-demo-2026');
  await page.goto('/admin');
  await page.getByRole('link', { name: 'Relying parties' }).click();
  await expect(page.getByRole('heading', { name: 'Relying parties', level: 1 })).toBeVisible();
  // Refused first: nothing named, nothing allowed.
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('alert')).toContainText('Name must be filled in.');
  await page.getByLabel('Name', { exact: true }).fill(PARTY);
  await page.getByLabel('Declared purpose').fill(PURPOSE);
  await page.getByLabel('Legal basis').fill(BASIS);
  await page.getByLabel('Whether a listing restricts the subject from something').check();
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: PARTY, level: 1 })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('check-in desk 3');
  await page.getByRole('button', { name: 'Make the token' }).click();
  const secret = (await page.locator('.secret code').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^rpt_[0-9a-f]{64}$/);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  const exported = await (await page.request.get('/record/export.json')).json();
  const wang = exported.subject.id as string;
  const headers = { Authorization: `Bearer ${secret}` };
  const asked = await request.post('/api/v1/checks', {
    headers,
    data: { subject_id: wang, question: 'restricted', restriction: 'flights' },
  });
  expect(asked.status()).toBe(200);
  const answer = await asked.json();
  expect(Object.keys(answer).sort()).toEqual(['answer', 'as_of', 'check_id']);
  expect(answer.answer).toBe(true);
  const refused = await request.post('/api/v1/checks', {
    headers,
    data: { subject_id: wang, question: 'grade_at_least', scheme: 'rongcheng', grade: 'B' },
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).code).toBe('question_not_allowed');

  await page.goto('/record');
  await page.getByRole('link', { name: 'Who has acted on my standing' }).click();
  const row = page.getByRole('row').filter({ hasText: PARTY });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Restricted from: Buying plane tickets?');
  await expect(row).toContainText(PURPOSE);
  await expect(row).toContainText(BASIS);
  await expect(row.getByRole('cell', { name: 'Yes', exact: true })).toBeVisible();
});

test('an unacknowledged correction is flagged to administrators and counted publicly', async ({ page }) => {
  await signIn(page, 'demo-admin', 'admin-demo-2026');
  await page.goto('/admin/relying-parties');
  const railway = page.getByRole('row').filter({ hasText: 'Rongcheng Railway Ticket Office' });
  await expect(railway).toContainText('1 overdue');
  await railway.getByRole('link', { name: 'Rongcheng Railway Ticket Office' }).click();
  await expect(page.getByRole('region', { name: 'Corrections past their three working days, oldest first' })).toBeVisible();
  await page.goto('/transparency');
  const counted = page.getByRole('row').filter({ hasText: 'Rongcheng Railway Ticket Office' });
  await expect(counted.getByRole('cell').last()).toHaveText('1');
});

test.describe('at 360 px', () => {
  test.use({ viewport: { width: 360, height: 800 } });

  test("the subject's page of checks fits the screen and its tables scroll by keyboard", async ({ page }) => {
    await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
    await page.goto('/record/checks');
    await expect(page.getByRole('heading', { name: 'Who has acted on my standing', level: 1 })).toBeVisible();
    const table = page.getByRole('region', { name: 'Questions asked about you, newest first' });
    await expect(table).toBeVisible();
    await expect(table).toHaveAttribute('tabindex', '0');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
  });
});
