// Accessibility: every page, in both languages, passes axe-core's WCAG 2.x A and AA rules.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, TEXT, type LocaleCode } from './helpers';

const PAGES = [
  { name: 'home page', path: '/', status: 200, h1: 'homeTitle' },
  { name: 'sign-in page', path: '/sign-in', status: 200, h1: 'signInTitle' },
  { name: '404 page', path: '/no/such/page', status: 404, h1: 'notFoundTitle' },
] as const;

const LOCALES: LocaleCode[] = ['en', 'zh-CN'];

for (const locale of LOCALES) {
  test.describe(`in ${locale}`, () => {
    test.beforeEach(async ({ context }) => {
      await setLocale(context, locale);
    });

    for (const { name, path, status, h1 } of PAGES) {
      test(`${name} has no WCAG 2.x A/AA violations`, async ({ page }) => {
        const response = await page.goto(path);
        expect(response?.status()).toBe(status);
        // Scan the page that was asked for, in the language that was asked for.
        await expect(page.locator('html')).toHaveAttribute('lang', locale);
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT[locale][h1]);
        await axeScan(page);
      });
    }
  });
}
