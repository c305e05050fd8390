// Accessibility of the relying parties' pages, in both languages: the subject's "who has acted on
// my standing" (with the demo's checks and its correction) and the administrators' list and a
// party's page (with its overdue correction).
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, signIn, type LocaleCode } from './helpers';

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`relying parties' pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
    await page.goto('/record/checks');
    await expect(page.locator('table')).not.toHaveCount(0);
    await axeScan(page);
    await page.context().clearCookies();
    await setLocale(context, locale);
    await signIn(page, 'demo-admin', 'admin-demo-2026');
    await page.goto('/admin/relying-parties');
    await axeScan(page);
    await page.locator('main table a[href^="/admin/relying-parties/"]').first().click();
    await expect(page).toHaveURL(/\/admin\/relying-parties\/[0-9a-f-]+$/);
    await axeScan(page);
  });
}
