// The public rule catalogue, read the way a person without an account reads it: JavaScript off.
import { expect, test } from '@playwright/test';
import { screenshots, setLocale } from './helpers';

test('a visitor follows the home page to a scheme, its bands and a rule with its version history', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Read the published rule catalogue' }).click();
  await expect(page).toHaveURL(/\/rules$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Published rule catalogues');
  await expect(page.getByText('Buying plane tickets')).toBeVisible();

  await page.getByRole('link', { name: 'Rongcheng social credit points' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Rongcheng social credit points');
  const bands = page.getByRole('table', { name: 'Each grade and the scores it covers' });
  await expect(bands.getByRole('row', { name: /^AA 1030 1049$/ })).toBeVisible();
  await expect(bands.getByRole('row')).toHaveCount(7);
  await screenshots(page, 'scheme');

  await page.getByRole('link', { name: 'TRAFFIC-01' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('TRAFFIC-01 · Traffic violation');
  await expect(page.getByRole('heading', { name: 'Version 2' })).toBeVisible();
  await expect(page.locator('ul.changes del', { hasText: '−5 points' })).toBeVisible();
  await expect(page.locator('ul.changes ins', { hasText: '−3 points' })).toBeVisible();
  await screenshots(page, 'rule');
});

test('the weighted scheme publishes every component with its weight', async ({ page }) => {
  await page.goto('/rules/coastal-credit');
  const components = page.getByRole('table', { name: /Published components/ });
  for (const [name, weight] of [['Payment history', '35%'], ['Fulfilment of contracts', '30%'], ['Ability to pay', '20%'], ['Identity information', '15%']]) {
    await expect(components.getByRole('row', { name: new RegExp(`^${name} ${weight}`) })).toBeVisible();
  }
});

test('the catalogue reads in Chinese', async ({ context, page }) => {
  await setLocale(context, 'zh-CN');
  await page.goto('/rules/rongcheng/TRAFFIC-01');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('TRAFFIC-01 · 交通违法');
  await expect(page.getByRole('heading', { name: '版本历史' })).toBeVisible();
});

test('an unknown rule answers the 404 page', async ({ page }) => {
  const response = await page.goto('/rules/rongcheng/NO-SUCH-RULE');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});
