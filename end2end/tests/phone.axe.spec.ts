// Accessibility on a phone: every page of every role (the list in pages.ts), in both languages,
// at 360 px wide, passes axe-core's WCAG 2.x A and AA rules (among them: a region that scrolls
// sideways can be reached by keyboard), and no page has two elements with one id.
import { expect, test, type Page } from '@playwright/test';
import { setLocale, type LocaleCode } from './helpers';
import { scanEveryPage, VISITORS } from './pages';

const LOCALES: LocaleCode[] = ['en', 'zh-CN'];

/** Table regions are named through ids; an id used twice would name the wrong one. */
async function idsAreUnique(page: Page): Promise<void> {
  const repeated = await page.evaluate(() => {
    const seen = new Map<string, number>();
    for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
  expect(repeated, `ids used more than once on ${page.url()}`).toEqual([]);
}

test.use({ viewport: { width: 360, height: 800 } });

for (const locale of LOCALES) {
  test.describe(`at 360 px in ${locale}`, () => {
    test.beforeEach(async ({ context }) => {
      await setLocale(context, locale);
    });

    for (const visitor of VISITORS) {
      test(`every page of ${visitor.role} has no WCAG 2.x A/AA violations`, async ({ page }) => {
        await scanEveryPage(page, visitor, idsAreUnique);
      });
    }
  });
}
