// Deadlines with consequences, JavaScript off, reading only: the demo's overdue appeal of Liu
// Yang on TRAFFIC-02 (a scheme that suspends at the deadline) had its deadline applied when the
// server started. Liu reads what happened and what she can do, in English and Chinese; a
// reviewer reads the same in staff wording.
import { expect, test } from '@playwright/test';
import { setLocale, signIn } from './helpers';

const LIU = ['demo-liu', 'liu-yang-demo-2026'] as const;
const REVIEWER = ['demo-reviewer', 'review-demo-2026'] as const;

test('the subject reads what happened at the deadline and what comes next', async ({ page, context }) => {
  await signIn(page, ...LIU);
  await page.goto('/appeals');
  await page.getByRole('row').filter({ hasText: 'TRAFFIC-02' }).getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'The deadline passed without a decision' })).toBeVisible();
  await expect(page.getByText(/the contested record has been suspended: it does not count towards your score until the appeal is decided\./)).toBeVisible();
  await expect(page.getByText(/^You need do nothing\./)).toBeVisible();
  const url = page.url();
  await setLocale(context, 'zh-CN');
  await page.goto(url);
  await expect(page.getByRole('heading', { name: '期限已过，仍未作出决定' })).toBeVisible();
  await expect(page.getByText(/^您无需做任何事。/)).toBeVisible();
});

test('a reviewer reads the lapse in staff wording', async ({ page }) => {
  await signIn(page, ...REVIEWER);
  await page.goto('/review?overdue=1');
  await page.getByRole('row').filter({ hasText: 'TRAFFIC-02' }).getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'The deadline passed without a decision' })).toBeVisible();
  await expect(page.getByText(/^Decide the appeal as soon as possible\./)).toBeVisible();
});

test('the review body is told of the lapse until a reviewer marks it seen', async ({ page }) => {
  await signIn(page, ...REVIEWER);
  await page.goto('/review');
  const told = page.getByRole('region', { name: 'Deadlines that passed undecided' });
  const item = told.getByRole('listitem').filter({ hasText: 'Liu Yang' }).filter({ hasText: 'it does not count towards the subject' });
  await expect(item).toHaveCount(1);
  const reference = (await item.getByRole('link').first().textContent()) ?? '';
  expect(reference).toMatch(/^A-[0-9A-F]{8}$/);
  await item.getByRole('link', { name: reference }).click();
  await expect(page.getByText(/nobody has marked it seen yet/)).toBeVisible();
  await page.goto('/review');
  await page.getByRole('button', { name: `Mark as seen: the deadline notice of ${reference}` }).click();
  await expect(page).toHaveURL(/\/review$/);
  await expect(page.getByRole('button', { name: `Mark as seen: the deadline notice of ${reference}` })).toHaveCount(0);
  await page.getByRole('row').filter({ hasText: reference }).getByRole('link').first().click();
  await expect(page.getByText(/reviewer marked it seen on/)).toBeVisible();
});
