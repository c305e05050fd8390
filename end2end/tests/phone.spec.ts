// On a phone (360 px), with JavaScript off: a subject reads every column of a derivation row
// without scrolling sideways, a keyboard reaches a table that scrolls, and a chart's labels keep
// a readable size.
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './helpers';

const WIDTH = 360;

test.use({ viewport: { width: WIDTH, height: 800 } });

/** How wide the page is beyond the screen, in px (0: nothing sticks out sideways). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Presses Tab until the focused element is one `matches` accepts; fails after `max` presses. */
async function tabTo(page: Page, matches: (page: Page) => Promise<boolean>, max = 150): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await matches(page)) return;
  }
  throw new Error(`no element reached in ${max} presses of Tab`);
}

/** The rendered size, in CSS px, of each text label of the charts on the page. */
async function chartLabelSizes(page: Page): Promise<number[]> {
  return page.locator('figure.chart svg text').evaluateAll((labels) =>
    labels.map((t) => {
      const text = t as SVGTextElement;
      const scale = Math.abs(text.getScreenCTM()?.d ?? 1);
      return parseFloat(getComputedStyle(text).fontSize) * scale;
    }),
  );
}

test('a subject reads date, rule, points, running total and status of a derivation row at 360 px', async ({ page }) => {
  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  await page.goto('/record');
  expect(await overflow(page), 'the record scrolls sideways').toBeLessThanOrEqual(0);
  const scheme = page.getByRole('region', { name: 'Rongcheng social credit points', exact: true });
  const row = scheme.locator('table.derivation tbody tr').first();
  for (const [column, label] of [
    [1, 'Date'],
    [2, 'Rule'],
    [4, 'Points'],
    [5, 'Running total'],
    [6, 'Status'],
  ] as const) {
    const cell = row.locator(`td:nth-child(${column})`);
    await expect(cell).toBeVisible();
    await expect(cell).toHaveAttribute('data-label', label);
    // The cell says which column it is, and lies wholly on the screen.
    const shown = await cell.evaluate((td) => getComputedStyle(td, '::before').content);
    expect(shown).toBe(`"${label}"`);
    const box = (await cell.boundingBox())!;
    expect(box.x, `${label} starts off the screen`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${label} ends off the screen`).toBeLessThanOrEqual(WIDTH);
  }
  await expect(row.locator('td:nth-child(4)')).toHaveText(/^[+−-]?\d+$/);
  await expect(row.locator('td:nth-child(5)')).toHaveText(/^\d+$/);
});

test('the score chart’s grade labels stay at least 12 px at 360 px', async ({ page }) => {
  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  await page.goto('/record');
  const sizes = await chartLabelSizes(page);
  expect(sizes.length, 'the record has no chart labels').toBeGreaterThan(0);
  for (const size of sizes) expect(size).toBeGreaterThanOrEqual(12);
  const label = page.locator('figure.chart svg text').first();
  expect((await label.boundingBox())!.height).toBeGreaterThanOrEqual(12);
});

test('the transparency chart’s month labels stay at least 12 px at 360 px', async ({ page }) => {
  await page.goto('/transparency');
  const sizes = await chartLabelSizes(page);
  expect(sizes.length, 'the report has no chart labels').toBeGreaterThan(0);
  for (const size of sizes) expect(size).toBeGreaterThanOrEqual(12);
  expect(await overflow(page), 'the report scrolls sideways').toBeLessThanOrEqual(0);
});

test('a keyboard user tabs to a table that scrolls sideways and scrolls it', async ({ page }) => {
  await page.goto('/rules/compare');
  const region = page.getByRole('region', { name: 'Rules in force today, by behaviour and scheme', exact: true });
  // The table is wider than the screen, the page is not: the table scrolls in its region.
  expect(await region.evaluate((r) => r.scrollWidth > r.clientWidth)).toBe(true);
  expect(await overflow(page), 'the comparison scrolls sideways').toBeLessThanOrEqual(0);
  await tabTo(page, () => region.evaluate((r) => r === document.activeElement));
  await expect(region).toBeFocused();
  // A visible focus ring, and the arrow keys scroll what the table hides.
  const outline = await region.evaluate((r) => getComputedStyle(r).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => region.evaluate((r) => r.scrollLeft)).toBeGreaterThan(0);
});

test('every table on the record is a region a keyboard can reach', async ({ page }) => {
  await signIn(page, 'demo-subject', 'wang-fang-demo-2026');
  await page.goto('/record');
  // (A table in a closed <details> has no name until it is opened.)
  const wrappers = page.locator('main .table-scroll:visible');
  const count = await wrappers.count();
  expect(count).toBeGreaterThan(1);
  for (let i = 0; i < count; i++) {
    const wrapper = wrappers.nth(i);
    await expect(wrapper).toHaveAttribute('role', 'region');
    await expect(wrapper).toHaveAttribute('tabindex', '0');
    // Its name is its table's caption (after the scheme's heading, for a table in a scheme).
    const caption = (await wrapper.locator('caption').textContent())!.trim();
    await expect(wrapper).toHaveAccessibleName(new RegExp(`${caption.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  }
  await tabTo(page, () => page.evaluate(() => document.activeElement?.getAttribute('role') === 'region'));
});
