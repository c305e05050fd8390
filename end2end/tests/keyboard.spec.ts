// Keyboard use with JavaScript off: the skip link, and a focus indicator one can see.
import { expect, test, type Page } from '@playwright/test';
import { contrastRatio, TEXT } from './helpers';

/** How the focused element draws its focus, and the colour the ring sits on. */
interface FocusLook {
  label: string;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  adjacentColor: string;
}

async function focusedLook(page: Page): Promise<FocusLook> {
  return page.locator(':focus').evaluate((el) => {
    const style = getComputedStyle(el);
    // With a non-negative offset the ring lies outside the element, on its ancestors' background.
    let bg = 'rgb(255, 255, 255)';
    for (let node = el.parentElement; node; node = node.parentElement) {
      const c = getComputedStyle(node).backgroundColor;
      if (c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) {
        bg = c;
        break;
      }
    }
    return {
      label: `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} "${(el.textContent ?? '').trim()}"`,
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth),
      outlineColor: style.outlineColor,
      adjacentColor: bg,
    };
  });
}

/** Tabs through every focusable element of the page, returning how each one looks focused. */
async function tabThrough(page: Page): Promise<FocusLook[]> {
  const looks: FocusLook[] = [];
  for (let i = 0; i < 50; i++) {
    await page.keyboard.press('Tab');
    if ((await page.locator(':focus').count()) === 0) break;
    const look = await focusedLook(page);
    if (looks.some((l) => l.label === look.label)) break;
    looks.push(look);
  }
  return looks;
}

test('the skip link is the first stop and moves focus to the main content', async ({ page }) => {
  await page.goto('/');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: TEXT.en.skipLink });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL('/#main');
  await expect(page.getByRole('main')).toBeFocused();
  // The next Tab continues inside the main content, past the header.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('main').getByRole('link', { name: 'Read the published rule catalogue' })).toBeFocused();
});

test('every link on the home page shows a focus outline when tabbed to', async ({ page }) => {
  await page.goto('/');
  const looks = await tabThrough(page);
  // Skip link, brand, two main links, two languages, the call to action.
  expect(looks.length).toBeGreaterThanOrEqual(7);
  const invisible = looks.filter((l) => l.outlineStyle === 'none' || l.outlineWidth < 2);
  expect(invisible, 'focused elements without a visible outline').toEqual([]);
});

test('the focus outline contrasts at least 3:1 with what surrounds it (WCAG 1.4.11)', async ({ page }) => {
  // App bug, reported: --focus #f2b705 on white is 1.82:1 and on the header's #f3f5f7 1.66:1.
  // Remove this line once style/recourse.css uses a focus colour of 3:1 or more.
  await page.goto('/');
  const looks = await tabThrough(page);
  expect(looks.length).toBeGreaterThanOrEqual(7);
  const faint = looks
    .map((l) => ({ ...l, ratio: Math.round(contrastRatio(l.outlineColor, l.adjacentColor) * 100) / 100 }))
    .filter((l) => l.ratio < 3);
  expect(faint, 'focus outlines below 3:1 against their surroundings').toEqual([]);
});
