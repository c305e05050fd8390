// The subject's journey with JavaScript off: sign in, read the grade and how it is derived,
// open a record and a blacklist entry, look at a past date, in English and in Chinese.
import { expect, test, type Page } from '@playwright/test';
import { screenshots, setLocale } from './helpers';

async function signInAsWangFang(page: Page, labels = { name: 'Sign-in name', password: 'Password', submit: 'Sign in' }) {
  await page.goto('/record');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Frecord$/);
  await page.getByLabel(labels.name).fill('demo-subject');
  await page.getByLabel(labels.password, { exact: true }).fill('wang-fang-demo-2026');
  await page.getByRole('button', { name: labels.submit }).click();
  await expect(page).toHaveURL(/\/record$/);
}

test('a subject reads the grade, re-derives the score from the lines shown, and opens a record', async ({ page }) => {
  await signInAsWangFang(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('My record');
  const scheme = page.getByRole('region', { name: 'Rongcheng social credit points', exact: true });
  const score = Number(await scheme.locator('.summary .score strong').textContent());
  const table = scheme.getByRole('table', { name: /Records that count/ });
  const points = await table.locator('tbody tr td:nth-child(4)').allTextContents();
  const sum = points.map((p) => Number(p.replace('\u2212', '-').replace('+', ''))).reduce((a, b) => a + b, 0);
  expect(1000 + sum).toBe(score);
  await expect(scheme.getByText('A correction counts in its place.')).toBeVisible();
  await expect(scheme.getByRole('heading', { name: 'What would change my grade' })).toBeVisible();
  await expect(scheme.getByRole('img', { name: 'Score over time' })).toBeVisible();
  await screenshots(page, 'record');

  await table.getByRole('link', { name: 'COURT-01' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('COURT-01 · Failure to perform a court judgment');
  await expect(page.getByText('Evidence reference')).toBeVisible();
  await page.getByRole('link', { name: 'Back to my record' }).click();

  await page.getByRole('link', { name: '(2025) Lu 1082 Zhi 1423' }).click();
  await expect(page.getByRole('heading', { name: 'How to get off the list' })).toBeVisible();
  await expect(page.getByText('Pay 48500.00 CNY')).toBeVisible();
  await expect(page.getByText('Buying plane tickets')).toBeVisible();
  await screenshots(page, 'entry');
});

test('a subject looks at the record as it stood on a past date', async ({ page }) => {
  await signInAsWangFang(page);
  await page.getByLabel('Show my record as it stood on').fill('2022-01-01');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(page).toHaveURL(/as_of=2022-01-01/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('My record as it stood on 1 January 2022');
  const scheme = page.getByRole('region', { name: 'Rongcheng social credit points', exact: true });
  await expect(scheme.locator('.summary .score strong')).toHaveText('1000');
});

test('the record reads in Chinese', async ({ context, page }) => {
  await setLocale(context, 'zh-CN');
  await signInAsWangFang(page, { name: '登录名', password: '密码', submit: '登录' });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('我的记录');
  await expect(page.getByRole('heading', { name: '什么会改变我的等级' }).first()).toBeVisible();
  await screenshots(page, 'record-zh');
});

test("another subject's record is not found", async ({ page }) => {
  await signInAsWangFang(page);
  const response = await page.goto('/record/events/01a20000-0000-7000-8000-000000000000');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});
