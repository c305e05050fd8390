// The administrator's journey with JavaScript off: draft a rule, be refused publication without a
// legal basis, add it, publish from today, repeal it with a reason, and find each write in the
// audit log. The rule code is unique per run, and no record is ever made under it.
import { expect, test } from '@playwright/test';
import { screenshots, signInAsAdministrator } from './helpers';

test('an administrator drafts, publishes and repeals a rule, and the audit log shows it', async ({ page }) => {
  await signInAsAdministrator(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Administration');
  await page.getByRole('link', { name: 'Rule catalogue of Rongcheng social credit points' }).click();
  const code = `E2E-${Date.now() % 1_000_000_000}`;
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('Rule code').fill(code);
  await page.getByLabel('Title in English').fill('Feeding gulls on the pier');
  await page.getByLabel('Title in Chinese').fill('在码头喂海鸥');
  await page.getByLabel('Description in English').fill('Feeding gulls where it is forbidden by a posted notice.');
  await page.getByLabel('Description in Chinese').fill('在有告示禁止的地方喂海鸥。');
  await page.getByLabel('Points recorded').fill('-1');
  await page.getByLabel('Lowest points an authority may record').fill('-1');
  await page.getByLabel('Highest points an authority may record').fill('-1');
  await page.getByLabel('Takes effect on').fill(today);
  await page.getByRole('button', { name: 'Create the draft' }).click();
  await expect(page.getByRole('status')).toHaveText('The draft was created.');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${code} v1`);

  await page.getByRole('button', { name: 'Publish this version' }).click();
  await expect(page.getByRole('alert')).toContainText('Takes effect on must be filled in.');
  await page.locator('#publish_from').fill(today);
  await page.getByRole('button', { name: 'Publish this version' }).click();
  await expect(page.getByRole('alert')).toContainText('A rule cannot be published without a legal basis.');

  await page.getByLabel('Legal basis in English').fill('Rongcheng Pier Management Measures, art. 7');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await page.locator('#publish_from').fill(today);
  await page.getByRole('button', { name: 'Publish this version' }).click();
  await expect(page.getByRole('alert')).toContainText('A rule cannot be published without its legal basis in Chinese.');
  await page.getByLabel('Legal basis in Chinese').fill('《荣成市码头管理办法》第七条');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await expect(page.getByRole('status')).toHaveText('The draft was saved.');
  await page.locator('#publish_from').fill(today);
  await page.getByRole('button', { name: 'Publish this version' }).click();
  await expect(page.getByRole('status')).toHaveText('The version was published.');

  await page.getByLabel('Reason').fill('Withdrawn by the city council');
  await page.getByRole('button', { name: 'Repeal the rule and void its records' }).click();
  await expect(page.getByRole('status')).toHaveText(
    'The rule was repealed: 0 records voided, 0 subjects notified.',
  );
  await screenshots(page, 'administration-repealed');

  await page.goto('/admin/audit');
  const log = page.getByRole('table', { name: 'Writes, newest first' });
  await expect(log.getByRole('cell', { name: 'rule.repeal' }).first()).toBeVisible();
  await expect(log.getByRole('cell', { name: 'rule.publish' }).first()).toBeVisible();
  await expect(log.getByRole('cell', { name: 'rule.draft' }).first()).toBeVisible();
});
