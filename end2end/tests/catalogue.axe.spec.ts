// Accessibility of the public rule catalogue, in both languages.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode } from './helpers';

const PATHS = ['/rules', '/rules/rongcheng', '/rules/coastal-credit', '/rules/rongcheng/TRAFFIC-01', '/rules/coastal-credit/PAY-LATE'];

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  for (const path of PATHS) {
    test(`${path} in ${locale} has no WCAG 2.x A/AA violations`, async ({ context, page }) => {
      await setLocale(context, locale);
      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      await expect(page.locator('html')).toHaveAttribute('lang', locale);
      await axeScan(page);
    });
  }
}

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  for (const path of ['/transparency', '/rules/compare', '/rules/haibin']) {
    for (const width of [360, 1280]) {
      test(`${path} in ${locale} at ${width} px has no WCAG 2.x A/AA violations`, async ({ context, page }) => {
        await setLocale(context, locale);
        await page.setViewportSize({ width, height: 800 });
        const response = await page.goto(path);
        expect(response?.status()).toBe(200);
        await axeScan(page);
      });
    }
  }
}
