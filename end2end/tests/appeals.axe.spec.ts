// Accessibility of the appeal pages of both sides, in both languages: the subject's list, the
// filing form (and the form with its errors), an appeal, the reviewers' queue, an appeal under
// review, the statistics, and the administrators' rule challenges. Read-only: it files nothing.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode, signIn } from './helpers';

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`the subject's appeal pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-liu', 'liu-yang-demo-2026');
    await page.goto('/appeals');
    await axeScan(page);
    await page.locator('main a[href^="/appeals/"]').first().click();
    await expect(page).toHaveURL(/\/appeals\/[0-9a-f-]+$/);
    await axeScan(page);
    await page.goto('/record');
    await page.locator('table.derivation a').first().click();
    await page.locator('main a[href^="/appeals/new"]').click();
    await axeScan(page);
    // Sent empty: the form comes back with its problems, and still passes.
    await page.locator('main form[action="/appeals"] button[type=submit]').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await axeScan(page);
  });

  test(`the reviewer's pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-reviewer', 'review-demo-2026');
    await page.goto('/review?status=all');
    await axeScan(page);
    await page.locator('main a[href^="/review/appeals/"]').first().click();
    await axeScan(page);
    await page.goto('/review/statistics');
    await axeScan(page);
  });

  test(`the administrators' rule challenges in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-admin', 'admin-demo-2026');
    const response = await page.goto('/admin/appeals');
    expect(response?.status()).toBe(200);
    await axeScan(page);
  });
}
