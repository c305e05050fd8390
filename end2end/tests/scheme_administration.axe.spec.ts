// Accessibility of the administrators' scheme settings, authority and review body pages, as
// they first show and with a refused form (which changes nothing), in both languages.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode, signIn } from './helpers';

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`the scheme, authority and review body pages in ${locale} have no WCAG 2.x A/AA violations`, async ({
    context,
    page,
  }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-admin', 'admin-demo-2026');

    await page.goto('/admin/schemes/rongcheng/settings');
    await axeScan(page);
    await page.locator('input[name=appeal_deadline_days]').fill('0');
    await page.locator('main form button[type=submit]').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await axeScan(page);

    await page.goto('/admin/authorities');
    await axeScan(page);
    await page.locator('main form[action="/admin/authorities"] button[type=submit]').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await axeScan(page);

    await page.goto('/admin/authorities');
    await page.locator('main table a').first().click();
    await expect(page).toHaveURL(/\/admin\/authorities\/[0-9a-f-]+$/);
    await axeScan(page);

    await page.goto('/admin/review-bodies');
    await axeScan(page);
    await page.locator('input[name=code]').fill('Not A Code');
    await page.locator('main form[action="/admin/review-bodies"] button[type=submit]').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await axeScan(page);
  });
}
