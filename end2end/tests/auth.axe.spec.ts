// Accessibility of the account pages, in both languages: sign-in (also with errors), the
// account page, the administrator's pages, and the invitation page.
import { expect, test, type Page } from '@playwright/test';
import { axeScan, LANDING, setLocale, type LocaleCode } from './helpers';

const LABELS = {
  en: { name: 'Sign-in name', password: 'Password', submit: 'Sign in', create: 'Create the account and its invitation link' },
  'zh-CN': { name: '登录名', password: '密码', submit: '登录', create: '创建账户并生成邀请链接' },
} as const;

async function signIn(page: Page, locale: LocaleCode, username: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel(LABELS[locale].name).fill(username);
  await page.getByLabel(LABELS[locale].password, { exact: true }).fill(password);
  await page.getByRole('main').getByRole('button', { name: LABELS[locale].submit }).click();
  await expect(page).toHaveURL(LANDING);
}

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test.describe(`in ${locale}`, () => {
    test.beforeEach(async ({ context }) => {
      await setLocale(context, locale);
    });

    test('the sign-in page with errors has no WCAG 2.x A/AA violations', async ({ page }) => {
      await page.goto('/sign-in');
      await page.getByRole('main').getByRole('button', { name: LABELS[locale].submit }).click();
      await expect(page.getByRole('alert')).toBeVisible();
      await axeScan(page);
      await page.getByLabel(LABELS[locale].name).fill('nobody-here');
      await page.getByLabel(LABELS[locale].password, { exact: true }).fill('wrong');
      await page.getByRole('main').getByRole('button', { name: LABELS[locale].submit }).click();
      await axeScan(page);
    });

    test('the account page has no WCAG 2.x A/AA violations', async ({ page }) => {
      await signIn(page, locale, 'demo-subject', 'wang-fang-demo-2026');
      await page.goto('/me');
      await axeScan(page);
      // The password form with its errors shown.
      await page.locator('form[action="/me/password"] button').click();
      await expect(page.getByRole('alert')).toBeVisible();
      await axeScan(page);
    });

    test('the administrator pages and the invitation page have no WCAG 2.x A/AA violations', async ({ page, browser }) => {
      await signIn(page, locale, 'demo-admin', 'admin-demo-2026');
      await page.goto('/admin/accounts');
      await axeScan(page);
      // On a phone the accounts table scrolls sideways: the scrolling region must be reachable.
      await page.setViewportSize({ width: 360, height: 800 });
      await axeScan(page);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByRole('button', { name: LABELS[locale].create }).click();
      await expect(page.getByRole('alert')).toBeVisible();
      await axeScan(page);

      await page.locator('#username').fill(`axe-${locale.toLowerCase()}-${Date.now().toString(36)}`);
      await page.locator('#display_name').fill('Axe Reviewer');
      await page.locator('#role').selectOption('reviewer');
      await page.getByRole('button', { name: LABELS[locale].create }).click();
      const link = await page.locator('.invitation-link a').getAttribute('href');
      expect(link).toContain('/invitation/');
      await axeScan(page);

      await page.goto('/admin/accounts');
      await page.getByRole('link', { name: 'demo-subject' }).click();
      await axeScan(page);

      const theirs = await browser.newContext({ locale: locale === 'en' ? 'en-US' : 'zh-CN' });
      await setLocale(theirs, locale);
      const newcomer = await theirs.newPage();
      await newcomer.goto(link!);
      await expect(newcomer.locator('#new_password')).toBeVisible();
      await axeScan(newcomer);
      await newcomer.locator('form button[type="submit"]').last().click();
      await expect(newcomer.getByRole('alert')).toBeVisible();
      await axeScan(newcomer);
      await newcomer.goto(`/invitation/${'0'.repeat(64)}`);
      await axeScan(newcomer);
      await theirs.close();
    });
  });
}
