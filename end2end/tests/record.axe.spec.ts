// Accessibility of the subject's pages, in both languages.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode } from './helpers';

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`the record, an event and an entry in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await page.goto('/sign-in?next=%2Frecord');
    await page.locator('input[name=username]').fill('demo-subject');
    await page.locator('input[name=password]').fill('wang-fang-demo-2026');
    await page.locator('form button[type=submit]').first().click();
    await expect(page).toHaveURL(/\/record$/);
    await axeScan(page);
    await page.locator('table.derivation a').first().click();
    await expect(page).toHaveURL(/\/record\/events\//);
    await axeScan(page);
    await page.goto('/record');
    await page.locator('a[href^="/record/entries/"]').first().click();
    await axeScan(page);
    await page.goto('/record?as_of=2025-03-01');
    await axeScan(page);
  });
}
