// A challenge to a rule, played from both sides with JavaScript off: Rongcheng Harbour Logistics
// (demo-org, whom no other journey files for) challenges CHARITY-01 on grounds that fit a rule,
// an administrator finds it through the queue's filters and keeps the rule with reasons, and the
// challenger reads the decision.
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './helpers';

const STATEMENT = 'Nobody can say which donations count: the rule names no amount and no recipient.';
const REASONS = 'The measures list the recipients in their annex; the rule is clear enough and stays as written.';

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
}

test('a rule is challenged on grounds that fit a rule, found by filter, and kept with reasons', async ({ page }) => {
  await signIn(page, 'demo-org', 'harbour-demo-2026');
  await page.goto('/rules/rongcheng/CHARITY-01');
  await page.getByRole('link', { name: 'Contest this' }).click();
  const grounds = page.getByRole('group', { name: 'Why do you contest it?' });
  await expect(grounds.getByLabel('It was not me (identity error)')).toHaveCount(0);
  await grounds.getByLabel('Nobody can tell what it forbids or requires').check();
  await page.getByLabel('Your statement').fill(STATEMENT);
  await page.getByRole('button', { name: 'File the appeal' }).click();
  await expect(page).toHaveURL(/\/appeals\/[0-9a-f-]+\?done=filed$/);
  const challenge = page.url().replace(/\?.*$/, '');
  await signOut(page);

  await signIn(page, 'demo-admin', 'admin-demo-2026');
  await page.goto('/admin');
  await page.getByRole('link', { name: 'Challenges to rules' }).click();
  await page.getByLabel('Grounds').selectOption({ label: 'Nobody can tell what it forbids or requires' });
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(page).toHaveURL(/grounds=unclear/);
  const row = page.getByRole('row').filter({ hasText: STATEMENT });
  await expect(row).toHaveCount(1);
  await row.getByRole('link').first().click();
  await page.getByLabel('Keep the rule (the reasons say why it stands)').check();
  await page.getByLabel('Written reasons').fill(REASONS);
  await page.getByRole('button', { name: 'Decide', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'The rule was kept' })).toBeVisible();
  await page.goto('/admin/appeals?status=decided&grounds=unclear');
  await expect(page.getByRole('row').filter({ hasText: STATEMENT })).toHaveCount(1);
  await signOut(page);

  await signIn(page, 'demo-org', 'harbour-demo-2026');
  await page.goto(challenge);
  await expect(page.getByText(REASONS)).toBeVisible();
});
