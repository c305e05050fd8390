// Accessibility at a desktop width: every page of every role (the list in pages.ts), in both
// languages, passes axe-core's WCAG 2.x A and AA rules. phone.axe.spec.ts scans them at 360 px.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, TEXT, type LocaleCode } from './helpers';
import { scanEveryPage, VISITORS } from './pages';

const LOCALES: LocaleCode[] = ['en', 'zh-CN'];

for (const locale of LOCALES) {
  test.describe(`in ${locale}`, () => {
    test.beforeEach(async ({ context, page }) => {
      await setLocale(context, locale);
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    test('the home page is in the language asked for and has no WCAG 2.x A/AA violations', async ({ page }) => {
      await page.goto('/');
      await expect(page.locator('html')).toHaveAttribute('lang', locale);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT[locale].homeTitle);
      await axeScan(page);
    });

    for (const visitor of VISITORS) {
      test(`every page of ${visitor.role} has no WCAG 2.x A/AA violations`, async ({ page }) => {
        await scanEveryPage(page, visitor);
      });
    }
  });
}
