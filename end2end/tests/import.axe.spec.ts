// Accessibility of the bulk import pages (the form, the form with its error, an import's report)
// and of the administrators' API token pages (the list, a token just made), in both languages.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, type LocaleCode, signIn } from './helpers';

for (const locale of ['en', 'zh-CN'] as LocaleCode[]) {
  test(`the import pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-recorder', 'traffic-demo-2026');
    await page.goto('/recording/import');
    await axeScan(page);
    await page.locator('main form button[type=submit]').click();
    await expect(page.getByRole('alert')).toBeVisible();
    await axeScan(page);
    await page.locator('input[name=file]').setInputFiles({
      name: 'events.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('subject_id,scheme,rule_code,occurred_at,external_ref\nnobody,rongcheng,TRAFFIC-01,2026-01-05,AXE-1\n'),
    });
    await page.locator('main form button[type=submit]').click();
    await expect(page).toHaveURL(/\/recording\/import\/[0-9a-f-]+$/);
    await expect(page.locator('table.import-problems')).toBeVisible({ timeout: 20_000 });
    await axeScan(page);
  });

  test(`the API token pages in ${locale} have no WCAG 2.x A/AA violations`, async ({ context, page }) => {
    await setLocale(context, locale);
    await signIn(page, 'demo-admin', 'admin-demo-2026');
    await page.goto('/admin/tokens');
    await axeScan(page);
    await page.locator('select[name=authority_id]').selectOption({ index: 1 });
    await page.locator('input[name=label]').fill(`axe ${locale}`);
    await page.locator('main form[action="/admin/tokens"] button[type=submit]').click();
    await expect(page.locator('main code')).toContainText('rct_');
    await axeScan(page);
  });
}
