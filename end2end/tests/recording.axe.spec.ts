// Accessibility of the recorder's and the administrator's pages, in both languages, including a
// form showing its errors.
import { expect, test, type Page } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode } from './helpers';

async function signIn(page: Page, next: string, username: string, password: string) {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').first().click();
  await expect(page).toHaveURL(new RegExp(`${next}$`));
}

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`the recorder's pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, '/recording', 'demo-recorder', 'traffic-demo-2026');
    await axeScan(page);
    await page.goto('/recording?q=chen');
    await axeScan(page);
    await page.locator('a[href^="/recording/subjects/"]').first().click();
    await axeScan(page);
    const subject = page.url();
    await page.goto(`${subject}/events`);
    await axeScan(page);
    await page.locator('form.stack button[type=submit]').click();
    await expect(page.locator('.error-summary')).toBeVisible();
    await axeScan(page);
    await page.goto(`${subject}/entries`);
    await axeScan(page);
  });

  test(`the administrator's pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, '/admin', 'demo-admin', 'admin-demo-2026');
    await axeScan(page);
    await page.goto('/admin/schemes/rongcheng/rules');
    await axeScan(page);
    await page.locator('a[href^="/admin/rule-versions/"]').first().click();
    await axeScan(page);
    await page.goto('/admin/audit');
    await axeScan(page);
  });
}
