// A proof of status with JavaScript off: Wang Fang proves she is not restricted from taking out
// loans (her listing restricts flights, trains, hotels and property, not loans), a visitor signed
// out checks it in English and in Chinese, she sees the check listed, revokes it, and the link
// then says it was revoked.
import { expect, test, type Page } from '@playwright/test';
import { CHINESE_BROWSER, signIn } from './helpers';

async function signOut(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
}

test('a subject proves a true statement, a stranger verifies it, and it is revoked', async ({ page, browser }) => {
  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  await page.getByRole('link', { name: 'Proofs of status' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Proofs of status');

  // A statement that is not true is refused, naming why.
  await page.getByLabel('Not restricted from the activity chosen below').check();
  await page.getByLabel('Activity', { exact: true }).selectOption('flights');
  await page.getByRole('button', { name: 'Sign this proof' }).click();
  await expect(page.getByRole('alert')).toContainText('This statement is not true of your record today');

  await page.getByLabel('Not restricted from the activity chosen below').check();
  await page.getByLabel('Activity', { exact: true }).selectOption('loans');
  await page.getByLabel('Valid for how many days').fill('7');
  await page.getByRole('button', { name: 'Sign this proof' }).click();
  await expect(page).toHaveURL(/\/record\/proofs\?done=made$/);
  await expect(page.getByRole('status')).toContainText('The proof was signed.');
  const card = page.locator('section.card', { hasText: 'Not restricted from: Taking out loans' }).first();
  const code = (await card.locator('code.proof-code').textContent())!.trim();
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await signOut(page);

  // A stranger, signed out, in English…
  await page.goto(`/verify/${code}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Proof of status ${code}`);
  await expect(page.getByText('Not restricted from: Taking out loans')).toBeVisible();
  await expect(page.getByText('Wang Fang', { exact: true })).toBeVisible();
  await expect(page.getByText('The proof is valid, and the statement is still true now.')).toBeVisible();
  await expect(page.getByText('Buying plane tickets')).toHaveCount(0);
  await expect(page.locator('pre.signed-message')).toContainText(`code: ${code.replaceAll('-', '')}`);

  // …and in Chinese, typed without dashes.
  const chinese = await browser.newContext({ ...CHINESE_BROWSER, javaScriptEnabled: false });
  const zh = await chinese.newPage();
  await zh.goto(`/verify/${code.replaceAll('-', '').toLowerCase()}`);
  await expect(zh.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(zh.getByText('证明有效，且陈述现在仍然属实。')).toBeVisible();
  await expect(zh.getByText('未被限制：申请贷款')).toBeVisible();
  await chinese.close();

  // Back as Wang Fang: the checks are listed; she revokes the proof.
  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  await page.goto('/record/proofs');
  const mine = page.locator('section.card', { hasText: code });
  await expect(mine.getByRole('table', { name: 'Each time this proof was opened' })).toBeVisible();
  await expect(mine.getByText('Yes, it held')).toHaveCount(2);
  await mine.getByRole('button', { name: `Revoke proof ${code}` }).click();
  await expect(page.getByRole('status')).toContainText('The proof was revoked.');
  await expect(page.locator('section.card', { hasText: code }).getByText('Revoked', { exact: true })).toBeVisible();
  await signOut(page);

  await page.goto(`/verify/${code}`);
  await expect(page.getByText('The proof was revoked by the person it is about')).toBeVisible();

  // A malformed code gets a specific answer.
  const response = await page.goto('/verify/not-a-code');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('This is not a proof code');
});
