// Signing in and out, a wrong password, and the invitation flow, with JavaScript off: plain HTML
// forms, the server answering each post with a page or a redirect.
import { expect, test, type Page } from '@playwright/test';
import { LANDING, screenshots, setLocale } from './helpers';

/** The demo accounts `recourse demo` creates (src/demo.rs), with the role shown on their page. */
const DEMO = [
  { username: 'demo-subject', password: 'wang-fang-demo-2026', who: 'Wang Fang', role: 'Subject', landing: '/record' },
  { username: 'demo-org', password: 'harbour-demo-2026', who: 'Rongcheng Harbour Logistics Co., Ltd.', role: 'Subject', landing: '/record' },
  { username: 'demo-recorder', password: 'traffic-demo-2026', who: 'Zhou Jun', role: 'Recorder', landing: '/recording' },
  { username: 'demo-credit', password: 'credit-demo-2026', who: 'Huang Mei', role: 'Recorder', landing: '/recording' },
  { username: 'demo-reviewer', password: 'review-demo-2026', who: 'reviewer', role: 'Reviewer', landing: '/review' },
  { username: 'demo-admin', password: 'admin-demo-2026', who: 'administrator', role: 'Administrator', landing: '/admin' },
] as const;

const EN = { name: 'Sign-in name', password: 'Password', submit: 'Sign in' };
const ZH = { name: '登录名', password: '密码', submit: '登录' };

async function fillSignIn(page: Page, username: string, password: string, labels = EN) {
  await page.getByLabel(labels.name).fill(username);
  await page.getByLabel(labels.password, { exact: true }).fill(password);
  await page.getByRole('main').getByRole('button', { name: labels.submit }).click();
}

async function signIn(page: Page, username: string, password: string, landing: RegExp = LANDING) {
  await page.goto('/sign-in');
  await fillSignIn(page, username, password);
  await expect(page).toHaveURL(landing);
}

for (const account of DEMO) {
  test(`${account.username} signs in, lands on their work, sees who they are, and signs out`, async ({ page }) => {
    await signIn(page, account.username, account.password, new RegExp(`${account.landing}$`));
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await page.goto('/me');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
    await expect(page.getByRole('main').getByText(account.role, { exact: true })).toBeVisible();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: `Signed in as ${account.who}` })).toHaveAttribute('href', '/me');
    await expect(nav.getByRole('link', { name: 'Sign in' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Administration' })).toHaveCount(account.role === 'Administrator' ? 1 : 0);
    await expect(nav.getByRole('link', { name: 'Review', exact: true })).toHaveCount(account.role === 'Reviewer' ? 1 : 0);
    await expect(nav.getByRole('link', { name: 'Record', exact: true })).toHaveCount(account.role === 'Recorder' ? 1 : 0);
    await expect(nav.getByRole('link', { name: 'My record' })).toHaveCount(account.role === 'Subject' ? 1 : 0);

    await nav.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in\?signed_out=1$/);
    await expect(page.getByRole('status')).toHaveText('You have signed out.');
    await expect(nav.getByRole('link', { name: 'Sign in' })).toBeVisible();
    // Signed out on the server: the account page asks to sign in again.
    await page.goto('/me');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fme$/);
  });
}

test('a wrong password and an unknown name get the same message, and the name is kept', async ({ page }) => {
  await page.goto('/sign-in');
  await fillSignIn(page, 'demo-reviewer', 'not-the-password');
  await expect(page).toHaveURL(/\/sign-in$/);
  const summary = page.getByRole('alert');
  await expect(summary.getByRole('heading', { name: 'There is a problem' })).toBeVisible();
  await expect(summary).toContainText('The sign-in name or the password is not right. Check both and try again.');
  await expect(page).toHaveTitle(/^Error: Sign in/);
  await expect(page.getByLabel('Sign-in name')).toHaveValue('demo-reviewer');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  const wrongText = await summary.textContent();

  await fillSignIn(page, 'nobody-at-all', 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText(wrongText ?? '');
  await screenshots(page, 'sign-in-error');
});

test('empty fields are named, and each message is tied to its field', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Sign-in name')).toHaveAccessibleDescription('Enter your sign-in name');
  await expect(page.getByLabel('Password', { exact: true })).toHaveAccessibleDescription('Enter your password');
  await page.getByRole('alert').getByRole('link', { name: 'Enter your password' }).click();
  await expect(page).toHaveURL(/#password$/);
});

test('a recorder finds the import from their first page', async ({ page }) => {
  await signIn(page, 'demo-recorder', 'traffic-demo-2026', /\/recording$/);
  await page.getByRole('main').getByRole('link', { name: 'Import events from a file' }).click();
  await expect(page).toHaveURL(/\/recording\/import$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import events from a file');
});

test('signing in from a page that needed it comes back to that page', async ({ page }) => {
  await page.goto('/me');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fme$/);
  await fillSignIn(page, 'demo-recorder', 'traffic-demo-2026');
  await expect(page).toHaveURL(/\/me$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
  await screenshots(page, 'account');
});

test('signing in reads in Chinese', async ({ page, context }) => {
  await setLocale(context, 'zh-CN');
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('登录');
  await fillSignIn(page, 'nobody-here', 'not-the-password', ZH);
  await expect(page.getByRole('alert')).toContainText('登录名或密码不正确');
  await fillSignIn(page, 'demo-subject', 'wang-fang-demo-2026', ZH);
  await expect(page).toHaveURL(/\/record$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('我的记录');
  await expect(page.getByRole('navigation', { name: '主导航' }).getByRole('button', { name: '退出登录' })).toBeVisible();
});

test('an administrator invites a new person, who sets a password, signs in and changes it', async ({ browser, page }) => {
  const username = `e2e-${Date.now().toString(36)}`;
  await signIn(page, 'demo-admin', 'admin-demo-2026');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('main').getByRole('link', { name: 'Accounts and roles' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accounts');
  await screenshots(page, 'admin-accounts');

  // A mistake first: a subject account without its subject.
  await page.getByRole('textbox', { name: 'Sign-in name' }).fill(username);
  await page.getByLabel('Name', { exact: true }).fill('Sun Mei');
  await page.getByLabel('Role').selectOption('subject');
  await page.getByRole('button', { name: 'Create the account and its invitation link' }).click();
  await expect(page.getByLabel('Subject id')).toHaveAccessibleDescription(/Enter the subject's id/);
  await expect(page.getByRole('textbox', { name: 'Sign-in name' })).toHaveValue(username);

  await page.getByLabel('Role').selectOption('reviewer');
  await page.getByRole('button', { name: 'Create the account and its invitation link' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Account created');
  const link = await page.locator('.invitation-link a').getAttribute('href');
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invitation\/[0-9a-f]{64}$/);
  await screenshots(page, 'account-created');

  // The new person, in their own browser.
  const theirs = await browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
  const newcomer = await theirs.newPage();
  await newcomer.goto(link!);
  await expect(newcomer.getByRole('heading', { level: 1 })).toHaveText('Set your password');
  await expect(newcomer.getByLabel('Sign-in name')).toHaveValue(username);
  await screenshots(newcomer, 'invitation');
  await newcomer.getByLabel('New password', { exact: true }).fill('password1');
  await newcomer.getByLabel('New password again').fill('password1');
  await newcomer.getByRole('button', { name: 'Set my password' }).click();
  await expect(newcomer.getByLabel('New password', { exact: true })).toHaveAccessibleDescription(/used by many people/);

  const chosen = 'saffron kettle northward 5';
  await newcomer.getByLabel('New password', { exact: true }).fill(chosen);
  await newcomer.getByLabel('New password again').fill(chosen);
  await newcomer.getByRole('button', { name: 'Set my password' }).click();
  await expect(newcomer).toHaveURL(/\/sign-in\?welcome=1$/);
  await expect(newcomer.getByRole('status')).toHaveText('Your password is set. Sign in with it now.');
  await fillSignIn(newcomer, username, chosen);
  await expect(newcomer).toHaveURL(/\/review$/);
  await newcomer.goto('/me');
  await expect(newcomer.getByRole('main').getByText('Reviewer', { exact: true })).toBeVisible();

  // Changing the password keeps this session.
  const next = 'harbour lilac thunder 31';
  await newcomer.getByLabel('Current password').fill(chosen);
  await newcomer.getByLabel('New password', { exact: true }).fill(next);
  await newcomer.getByLabel('New password again').fill(next);
  await newcomer.getByRole('button', { name: 'Change password' }).click();
  await expect(newcomer.getByRole('status')).toContainText('Your password has been changed.');

  // The link worked once.
  await newcomer.goto(link!);
  await expect(newcomer.getByRole('heading', { level: 1 })).toHaveText('This invitation link cannot be used');
  await expect(newcomer.getByText('already been used')).toBeVisible();
  await theirs.close();

  // The administrator disables the account from its page.
  await page.getByRole('link', { name: 'Back to all accounts' }).click();
  await page.getByRole('link', { name: username }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sun Mei');
  await page.getByRole('button', { name: 'Disable this account' }).click();
  await expect(page.getByRole('status')).toContainText('The account has been disabled');
  await expect(page.getByRole('row', { name: new RegExp(username) })).toContainText('Disabled');
});
