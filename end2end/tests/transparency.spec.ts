// Public accountability read as a member of the public would: JavaScript off, signed out, on a
// desktop and at 360 px.
import { expect, test } from '@playwright/test';
import { screenshots, setLocale } from './helpers';

test('a visitor follows the home page to the transparency report and downloads its figures', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Read the transparency report' }).click();
  await expect(page).toHaveURL(/\/transparency$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Transparency report');
  await expect(page.getByRole('img', { name: 'Month by month' })).toBeVisible();
  const outcomes = page.getByRole('table', { name: 'Decisions, by level and outcome' });
  await expect(outcomes.getByRole('row', { name: /^Level 1 · rejected \d+$/ })).toBeVisible();
  await expect(page.getByRole('table', { name: 'First-level decisions per rule', exact: true })).toBeVisible();

  await page.getByLabel('Scheme').selectOption('coastal-credit');
  await page.getByRole('button', { name: 'Show the report' }).click();
  await expect(page).toHaveURL(/scheme=coastal-credit/);
  await expect(page.getByText('fewer than 5').first()).toBeVisible();

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download the figures (CSV)' }).click();
  expect((await download).suggestedFilename()).toBe('recourse-transparency.csv');
  await page.setViewportSize({ width: 360, height: 800 });
  await screenshots(page, 'transparency');
});

test('the report reads in Chinese', async ({ context, page }) => {
  await setLocale(context, 'zh-CN');
  await page.goto('/transparency');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('透明度报告');
});

test('two cities are compared side by side, by behaviour', async ({ page }) => {
  await page.goto('/rules');
  await page.getByRole('link', { name: 'Compare catalogues side by side' }).click();
  const table = page.getByRole('table', { name: 'Rules in force today, by behaviour and scheme' });
  await expect(table.getByRole('row', { name: /^Jaywalking/ })).toContainText('Not counted here');
  await expect(table.getByRole('row', { name: /^Volunteering/ })).toContainText('VOLUNTEER-01');
  await page.setViewportSize({ width: 360, height: 800 });
  const region = page.getByRole('region', { name: 'Rules in force today, by behaviour and scheme' });
  await region.focus();
  await expect(region).toBeFocused();
});
