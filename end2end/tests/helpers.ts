// Shared helpers of the browser tests: locale, accessibility scan, screenshots.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';

export type LocaleCode = 'en' | 'zh-CN';

/** What each language's shell and pages say, as the tests expect to read them. */
export const TEXT = {
  en: {
    productName: 'Recourse',
    homeTitle: 'See why you were scored, and contest it',
    signInTitle: 'Sign in',
    notFoundTitle: 'Page not found',
    skipLink: 'Skip to content',
    mainNav: 'Main',
    languageNav: 'Language',
    rulesLink: 'Rule catalogue',
  },
  'zh-CN': {
    productName: '申辩通',
    homeTitle: '了解您为何被评分，并提出申辩',
    signInTitle: '登录',
    notFoundTitle: '页面不存在',
    skipLink: '跳到正文',
    mainNav: '主导航',
    languageNav: '语言',
    rulesLink: '规则目录',
  },
} as const satisfies Record<LocaleCode, Record<string, string>>;

/**
 * Options for a browser whose person reads Chinese. Chromium's locale emulation sets the
 * Accept-Language of navigations itself, overriding `extraHTTPHeaders`, so both say zh-CN.
 */
export const CHINESE_BROWSER = {
  locale: 'zh-CN',
  extraHTTPHeaders: { 'Accept-Language': 'zh-CN' },
};

/** The WCAG 2.x A and AA rule sets every page must pass. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Chooses a language the way the language switch does: with the `lang` cookie, which wins over
 * Accept-Language.
 */
export async function setLocale(context: BrowserContext, locale: LocaleCode): Promise<void> {
  const baseURL = test.info().project.use.baseURL;
  if (!baseURL) throw new Error('setLocale needs use.baseURL');
  await context.addCookies([{ name: 'lang', value: locale, url: baseURL }]);
}

/** The value of the `lang` cookie in this context, if any. */
export async function langCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === 'lang')?.value;
}

/** The time one axe scan adds to its test's budget. */
export const SCAN_BUDGET_MS = 10_000;

/**
 * Runs axe-core on the page as it is now and fails with a readable list of every WCAG 2.x A/AA
 * violation: rule, impact, help, and each offending node with its selector and axe's summary.
 */
export async function axeScan(page: Page): Promise<void> {
  // A scan takes seconds on a slow machine: each one brings its own time, so a test of many scans
  // does not run out of the default budget (one timed out at 32 s in CI with eight scans).
  test.info().setTimeout(test.info().timeout + SCAN_BUDGET_MS);
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const report = results.violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    - ${n.target.join(' ')}\n      ${n.failureSummary?.replace(/\n/g, '\n      ') ?? ''}`)
        .join('\n');
      return `  [${v.impact ?? 'unknown'}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
  // "Needs review" items are not failures, but should be looked at by a person.
  for (const item of results.incomplete) {
    const targets = item.nodes.map((n) => n.target.join(' ')).join(', ');
    test.info().annotations.push({ type: 'axe needs review', description: `${item.id}: ${targets}` });
  }
  await test.info().attach('axe-results.json', {
    body: JSON.stringify({ url: page.url(), violations: results.violations, incomplete: results.incomplete }, null, 2),
    contentType: 'application/json',
  });
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe found WCAG violations on ${page.url()}:\n${report}`).toEqual([]);
  // A scan that checked nothing would pass vacuously.
  expect(results.passes.length, 'axe ran no passing checks at all').toBeGreaterThan(0);
}

/** The widths a page must read well at: a small phone and a desktop. */
export const SCREENSHOT_WIDTHS = [360, 1280] as const;

/**
 * Takes full-page screenshots at each width into the test's output directory (kept under
 * `test-results/`) and attaches them to the report. Restores the viewport afterwards.
 */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  const original = page.viewportSize();
  const files: string[] = [];
  for (const width of SCREENSHOT_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const file = test.info().outputPath(`${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await test.info().attach(`${name}-${width}`, { path: file, contentType: 'image/png' });
    // Nothing may stick out sideways: a reader at this width must not scroll horizontally.
    const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
    expect(overflow, `${name} scrolls horizontally at ${width}px`).toBeLessThanOrEqual(0);
    files.push(file);
  }
  if (original) await page.setViewportSize(original);
  return files;
}

/** WCAG relative luminance of a CSS `rgb()`/`rgba()` colour as getComputedStyle reports it. */
function luminance(color: string): number {
  const m = color.match(/rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  if (!m) throw new Error(`not an rgb() colour: ${color}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two opaque colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Signs in through the sign-in page and lands on the person's own page. */
/** Where each role lands after signing in: its work (a subject's record, a recorder's subjects, a
 * reviewer's queue, the administration hub). */
export const LANDING = /\/(record|recording|review|admin)$/;

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('main form button[type=submit]').first().click();
  await expect(page).toHaveURL(LANDING);
}

/** Opens /admin signed out, signs in there as the demo administrator and lands back on /admin. */
export async function signInAsAdministrator(page: Page): Promise<void> {
  await page.goto('/admin');
  await page.getByLabel('Sign-in name').fill('demo-admin');
  await page.getByLabel('Password', { exact: true }).fill('admin-demo-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin$/);
}
