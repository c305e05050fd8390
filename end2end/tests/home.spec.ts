// The home page, the language switch and the 404 page, driven with JavaScript off.
import { expect, test, type Page, type Response } from '@playwright/test';
import { CHINESE_BROWSER, langCookie, screenshots, setLocale, TEXT, type LocaleCode } from './helpers';

/**
 * Asserts what every page must be in the given language: `<html lang>`, a title naming the
 * product, one main landmark holding the page's h1, and not a single script, neither in the HTML
 * the server sent nor in the DOM.
 */
async function expectPage(page: Page, response: Response | null, locale: LocaleCode, h1: string) {
  expect(response, 'the navigation produced no response').not.toBeNull();
  await expect(page.locator('html')).toHaveAttribute('lang', locale);
  await expect(page).toHaveTitle(new RegExp(`${TEXT[locale].productName}$`));
  const main = page.getByRole('main');
  await expect(main).toHaveCount(1);
  await expect(main.getByRole('heading', { level: 1 })).toHaveText(h1);
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
  await expect(page.locator('script')).toHaveCount(0);
  const html = await response!.text();
  expect(html.toLowerCase(), 'the server sent a <script> element').not.toContain('<script');
}

/** Watches the sub-resources (stylesheet, icon) a page loads, and those that failed. */
function watchLoads(page: Page): { loaded: string[]; failed: string[] } {
  const loads = { loaded: [] as string[], failed: [] as string[] };
  page.on('requestfailed', (r) => loads.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.request().resourceType() === 'document') return;
    if (r.status() >= 400) loads.failed.push(`${r.url()}: ${r.status()}`);
    else loads.loaded.push(new URL(r.url()).pathname);
  });
  return loads;
}

/** Asserts that the browser asked for Chinese, so a Chinese page is the server's answer to it. */
async function expectAskedForChinese(response: Response | null) {
  const headers = await response!.request().allHeaders();
  expect(headers['accept-language']).toBe('zh-CN');
}

test.describe('home page', () => {
  test('is in English by default, complete and without any script', async ({ page }) => {
    const loads = watchLoads(page);
    const response = await page.goto('/', { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await expectPage(page, response, 'en', TEXT.en.homeTitle);
    const mainNav = page.getByRole('navigation', { name: TEXT.en.mainNav });
    await expect(mainNav.getByRole('link', { name: TEXT.en.rulesLink })).toHaveAttribute('href', '/rules');
    const languages = page.getByRole('navigation', { name: TEXT.en.languageNav });
    await expect(languages.getByRole('link', { name: 'English' })).toHaveAttribute('aria-current', 'page');
    await expect(languages.getByRole('link', { name: '简体中文' })).not.toHaveAttribute('aria-current', /.*/);
    // The stylesheet arrives despite the Content-Security-Policy, and nothing else fails to load.
    expect(loads.failed, 'sub-resources failed to load').toEqual([]);
    expect(loads.loaded).toContainEqual(expect.stringMatching(/\.css$/));
  });

  test.describe('asked for in Chinese by Accept-Language', () => {
    test.use(CHINESE_BROWSER);

    test('is in Chinese', async ({ page }) => {
      const response = await page.goto('/');
      await expectAskedForChinese(response);
      expect(response?.status()).toBe(200);
      await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].homeTitle);
      const mainNav = page.getByRole('navigation', { name: TEXT['zh-CN'].mainNav });
      await expect(mainNav.getByRole('link', { name: TEXT['zh-CN'].rulesLink })).toHaveAttribute('href', '/rules');
      const languages = page.getByRole('navigation', { name: TEXT['zh-CN'].languageNav });
      await expect(languages.getByRole('link', { name: '简体中文' })).toHaveAttribute('aria-current', 'page');
    });

    test('is in English when the lang cookie says so, whatever Accept-Language asks', async ({ page, context }) => {
      await setLocale(context, 'en');
      const response = await page.goto('/');
      await expectAskedForChinese(response);
      await expectPage(page, response, 'en', TEXT.en.homeTitle);
    });
  });

  test('is in Chinese when the lang cookie says so', async ({ page, context }) => {
    await setLocale(context, 'zh-CN');
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].homeTitle);
  });

  test('reads well at phone and desktop widths', async ({ page }, testInfo) => {
    await page.goto('/');
    const files = await screenshots(page, 'home');
    expect(files).toHaveLength(2);
    for (const file of files) expect(file.startsWith(testInfo.outputDir)).toBe(true);
  });
});

test.describe('language switch', () => {
  test('switching to Chinese comes back to the same page, persists, and switches back', async ({ page, context }) => {
    let response = await page.goto('/sign-in');
    await expectPage(page, response, 'en', TEXT.en.signInTitle);

    await page.getByRole('navigation', { name: TEXT.en.languageNav }).getByRole('link', { name: '简体中文' }).click();
    await expect(page).toHaveURL('/sign-in');
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT['zh-CN'].signInTitle);
    const languages = page.getByRole('navigation', { name: TEXT['zh-CN'].languageNav });
    await expect(languages.getByRole('link', { name: '简体中文' })).toHaveAttribute('aria-current', 'page');
    expect(await langCookie(context)).toBe('zh-CN');

    // The choice is remembered on the next page load, on another page.
    response = await page.goto('/');
    await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].homeTitle);

    await page.getByRole('navigation', { name: TEXT['zh-CN'].languageNav }).getByRole('link', { name: 'English' }).click();
    await expect(page).toHaveURL('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT.en.homeTitle);
    expect(await langCookie(context)).toBe('en');
    response = await page.reload();
    await expectPage(page, response, 'en', TEXT.en.homeTitle);
  });

  test('keeps the query string of the page it came from', async ({ page }) => {
    await page.goto('/sign-in?from=e2e');
    await page.getByRole('link', { name: '简体中文' }).click();
    await expect(page).toHaveURL('/sign-in?from=e2e');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT['zh-CN'].signInTitle);
  });

  for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/']) {
    test(`refuses to redirect off-site to ${next} and lands on the home page`, async ({ page, context }) => {
      const response = await page.goto(`/language/zh-CN?next=${encodeURIComponent(next)}`);
      expect(new URL(page.url()).origin).toBe(new URL(test.info().project.use.baseURL!).origin);
      await expect(page).toHaveURL('/');
      await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].homeTitle);
      expect(await langCookie(context)).toBe('zh-CN');
    });
  }

  test('an unknown language is a 404 and sets no cookie', async ({ page, context }) => {
    const response = await page.goto('/language/xx?next=/');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT.en.notFoundTitle);
    expect(await langCookie(context)).toBeUndefined();
  });
});

test.describe('404 page', () => {
  test('answers 404 in English with a way home', async ({ page }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expectPage(page, response, 'en', TEXT.en.notFoundTitle);
    await page.getByRole('main').getByRole('link', { name: 'Go to the home page' }).click();
    await expect(page).toHaveURL('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TEXT.en.homeTitle);
  });

  test('answers 404 in Chinese when the lang cookie says so', async ({ page, context }) => {
    await setLocale(context, 'zh-CN');
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].notFoundTitle);
    await expect(page.getByRole('main').getByRole('link', { name: '返回首页' })).toHaveAttribute('href', '/');
  });

  test.describe('asked for in Chinese by Accept-Language', () => {
    test.use(CHINESE_BROWSER);

    test('answers 404 in Chinese', async ({ page }) => {
      const response = await page.goto('/no/such/page');
      await expectAskedForChinese(response);
      expect(response?.status()).toBe(404);
      await expectPage(page, response, 'zh-CN', TEXT['zh-CN'].notFoundTitle);
    });
  });
});
