// The administrator's journey through a scheme's settings, authorities and review bodies with
// JavaScript off: a refused deadline, a changed one (set back afterwards, as other specs read
// the demo's Rongcheng scheme), a new authority with a code unique to this run, renamed, and a
// review body that is that authority's own office.
import { expect, test, type Page } from '@playwright/test';
import { screenshots, signInAsAdministrator } from './helpers';

async function saveDeadline(page: Page, days: string) {
  await page.getByLabel('Days to appeal').fill(days);
  await page.getByRole('button', { name: 'Save the settings' }).click();
}

test('an administrator changes a deadline, adds and renames an authority, and gives it a review body', async ({
  page,
}) => {
  await signInAsAdministrator(page);
  await page.getByRole('link', { name: 'Settings of Rongcheng social credit points' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings of Rongcheng social credit points');
  await expect(page.getByLabel('Grade of band 1')).toHaveValue('A+++');
  const original = await page.getByLabel('Days to appeal').inputValue();
  const changed = original === '45' ? '46' : '45';

  await saveDeadline(page, '400');
  await expect(page.getByRole('alert')).toContainText('The days to appeal must be a whole number from 1 to 365.');
  await expect(page.getByLabel('Days to appeal')).toHaveAttribute('aria-invalid', 'true');
  await saveDeadline(page, changed);
  await expect(page.getByRole('status')).toContainText('The settings were saved; the grades of all');
  await expect(page.getByLabel('Days to appeal')).toHaveValue(changed);
  await screenshots(page, 'scheme-settings-saved');
  await page.goto('/rules/rongcheng');
  await expect(page.getByText(`${changed} days`, { exact: true })).toBeVisible();
  await page.goto('/admin/schemes/rongcheng/settings');
  await saveDeadline(page, original);
  await expect(page.getByRole('status')).toContainText('The settings were saved; the grades of all');
  await expect(page.getByLabel('Days to appeal')).toHaveValue(original);

  const code = `e2e-${Date.now()}`;
  const name = `Harbour Authority ${code}`;
  const renamed = `Harbour and Pier Authority ${code}`;
  await page.goto('/admin');
  await page.getByRole('link', { name: 'Authorities', exact: true }).click();
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByLabel('Name in English').fill(name);
  await page.getByLabel('Name in Chinese').fill('港务局');
  await page.getByRole('button', { name: 'Add the authority' }).click();
  await expect(page.getByRole('status')).toHaveText(`${name} was added.`);
  await page.getByRole('link', { name: code, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await page.getByLabel('Name in English').fill(renamed);
  await page.getByRole('button', { name: 'Save the names' }).click();
  await expect(page.getByRole('status')).toHaveText(`${renamed} was renamed.`);
  await expect(page.getByRole('row', { name: new RegExp(code) })).toContainText(renamed);

  await page.goto('/admin');
  await page.getByRole('link', { name: 'Review bodies', exact: true }).click();
  await page.getByLabel('Code', { exact: true }).fill(`${code}-office`);
  await page.getByLabel('Name in English').fill(`Appeals office of ${code}`);
  await page.getByLabel('Name in Chinese').fill('港务局申诉办公室');
  await page.getByLabel('Authority it belongs to').selectOption({ label: renamed });
  await page.getByRole('button', { name: 'Add the review body' }).click();
  await expect(page.getByRole('status')).toHaveText(`Appeals office of ${code} was added.`);
  const row = page.getByRole('row', { name: new RegExp(`${code}-office`) });
  await expect(row).toContainText(renamed);
  await expect(row).toContainText('No reviewers yet');
  await screenshots(page, 'review-body-added');
});
