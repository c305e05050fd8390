// Accessibility of proofs of status, in both languages: the subject's page of proofs, and a
// proof at /verify/{code} as a visitor signed out sees it.
import { expect, test } from '@playwright/test';
import { axeScan, setLocale, signIn, type LocaleCode } from './helpers';

const LOCALES: LocaleCode[] = ['en', 'zh-CN'];

for (const locale of LOCALES) {
  test(`proofs of status have no WCAG 2.x A/AA violations in ${locale}`, async ({ page, context }) => {
    await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
    await page.goto('/record/proofs');
    await page.locator('#statement-grade_at_least').check();
    // The lowest grade of a scheme is always held: the proof is always true.
    const grades = await page.locator('#grade option').count();
    await page.locator('#grade').selectOption({ index: grades - 1 });
    await page.locator('#days').fill('3');
    await page.locator('main form button[type=submit]').last().click();
    await expect(page).toHaveURL(/done=made$/);
    const code = (await page.locator('section.card', { hasText: / or better in / }).first().locator('code.proof-code').textContent())!.trim();
    await setLocale(context, locale);
    await page.goto('/record/proofs');
    await expect(page.locator('html')).toHaveAttribute('lang', locale);
    await axeScan(page);
    await context.clearCookies();
    await setLocale(context, locale);
    const response = await page.goto(`/verify/${code}`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('html')).toHaveAttribute('lang', locale);
    await axeScan(page);
  });
}
