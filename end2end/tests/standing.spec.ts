// One standing, with JavaScript off and at a phone's width: Liu Yang's credit score, under a
// scheme that keeps a contested record counting while her appeal on it is open, reads the same
// to her, in her export, on the recorder's page (the credit bureau's, which holds the mandate for
// that scheme) and on the reviewer's page. No other spec changes her credit-bureau record.
import { expect, test, type Page } from '@playwright/test';
import { screenshots, signIn } from './helpers';

const SCHEME = 'Coastal component credit score';

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
}

test('a subject, her export, the recorder and the reviewer see one score and grade', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 800 });

  await signIn(page, 'demo-liu', 'liu-yang-demo-2026');
  await page.goto('/record');
  const mine = page.getByRole('region', { name: SCHEME, exact: true });
  const score = (await mine.locator('.summary .score strong').textContent())!.trim();
  const grade = (await mine.locator('.summary .grade strong').textContent())!.trim();
  expect(Number(score)).toBeGreaterThan(0);
  const exported = await (await page.request.get('/record/export.json')).json();
  const scheme = exported.schemes.find((s: { scheme: string }) => s.scheme === 'coastal-credit');
  expect(String(scheme.score)).toBe(score);
  expect(scheme.grade).toBe(grade);
  const late = scheme.events.find((e: { event: { rule_code: string } }) => e.event.rule_code === 'PAY-LATE');
  expect(late.status).toBe('counting');
  await signOut(page);

  await signIn(page, 'demo-credit', 'credit-demo-2026');
  await page.goto('/recording?q=liu+yang');
  await page.getByRole('link', { name: 'Liu Yang', exact: true }).first().click();
  const section = page.getByRole('heading', { level: 2, name: SCHEME });
  await expect(section).toBeVisible();
  await expect(page.getByText(`Score ${score}, grade ${grade}`)).toBeVisible();
  const records = page.getByRole('table', { name: `Records in ${SCHEME}, newest first` });
  await expect(records.getByRole('row').filter({ hasText: 'PAY-LATE' })).toContainText('counts');
  await screenshots(page, 'standing-recorder');
  await signOut(page);

  await signIn(page, 'demo-reviewer', 'review-demo-2026');
  await page.goto('/review');
  await page.getByRole('row').filter({ hasText: 'PAY-LATE' }).getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: "The subject's statement" })).toBeVisible();
  const derivation = page.locator('h2', { hasText: "The subject's derivation now" }).locator('xpath=following-sibling::p[1]');
  await expect(derivation).toContainText(`${score}`);
  await expect(derivation).toContainText(grade);
  await screenshots(page, 'standing-reviewer');
});
