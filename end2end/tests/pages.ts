// Every page of Recourse a person can open, by who opens it: the one list the accessibility
// scans walk (at 1280 px in pages.axe.spec.ts, at 360 px in phone.axe.spec.ts).
import { expect, test, type Page } from '@playwright/test';
import { axeScan, signIn } from './helpers';

/**
 * A page to scan: a fixed `path`, or the first link of the page `via` (a path, or another such
 * page) whose href matches `link`, for pages whose address holds an id of the demo data.
 */
export interface PageToScan {
  name: string;
  path?: string;
  via?: string | PageToScan;
  link?: RegExp;
  status?: number;
}

const SCHEME: PageToScan = { name: 'a scheme’s catalogue', via: '/rules', link: /^\/rules\/(?!compare$)[^/?]+$/ };
const EVENT: PageToScan = { name: 'a record of an event', via: '/record', link: /^\/record\/events\/[^/?]+$/ };
const SUBJECT: PageToScan = { name: 'a subject', via: '/recording?q=chen', link: /^\/recording\/subjects\/[^/?]+$/ };
const AUTHORITY: PageToScan = { name: 'an authority', via: '/admin/authorities', link: /^\/admin\/authorities\/[^/?]+$/ };

/** A demo account and the pages its role opens. `null` for someone not signed in. */
export interface Visitor {
  role: string;
  account: { username: string; password: string } | null;
  pages: PageToScan[];
}

export const VISITORS: Visitor[] = [
  {
    role: 'anyone',
    account: null,
    pages: [
      { name: 'home page', path: '/' },
      { name: 'sign-in page', path: '/sign-in' },
      { name: '404 page', path: '/no/such/page', status: 404 },
      { name: 'rule catalogue', path: '/rules' },
      SCHEME,
      { name: 'a rule', via: SCHEME, link: /^\/rules\/[^/?]+\/[^/?]+$/ },
      { name: 'catalogue comparison', path: '/rules/compare' },
      { name: 'transparency report', path: '/transparency' },
      { name: 'tree heads', path: '/transparency/tree-heads' },
    ],
  },
  {
    role: 'subject',
    account: { username: 'demo-subject', password: 'wang-fang-demo-2026' },
    pages: [
      { name: 'record', path: '/record' },
      { name: 'record as it stood on a past date', path: '/record?as_of=2025-03-01' },
      EVENT,
      { name: 'a blacklist entry', via: '/record', link: /^\/record\/entries\/[^/?]+$/ },
      { name: 'access log', path: '/record/access' },
      { name: 'who has acted on my standing', path: '/record/checks' },
      { name: 'proofs of status', path: '/record/proofs' },
      { name: 'notices', path: '/notices' },
      { name: 'appeals', path: '/appeals' },
      { name: 'account', path: '/me' },
    ],
  },
  {
    role: 'subject with appeals',
    account: { username: 'demo-liu', password: 'liu-yang-demo-2026' },
    pages: [
      { name: 'record', path: '/record' },
      { name: 'appeals', path: '/appeals' },
      { name: 'an appeal', via: '/appeals', link: /^\/appeals\/[0-9a-f-]+$/ },
      { name: 'filing an appeal', via: EVENT, link: /^\/appeals\/new\?/ },
    ],
  },
  {
    role: 'recorder',
    account: { username: 'demo-recorder', password: 'traffic-demo-2026' },
    pages: [
      { name: 'recording', path: '/recording' },
      { name: 'subject search', path: '/recording?q=chen' },
      SUBJECT,
      { name: 'recording an event', via: SUBJECT, link: /^\/recording\/subjects\/[^/?]+\/events$/ },
      { name: 'listing on a blacklist', via: SUBJECT, link: /^\/recording\/subjects\/[^/?]+\/entries$/ },
      { name: 'import', path: '/recording/import' },
      { name: 'account', path: '/me' },
    ],
  },
  {
    role: 'court recorder',
    account: { username: 'demo-court', password: 'court-demo-2026' },
    pages: [
      { name: 'a subject with a listing', via: '/recording?q=Wang%20Fang', link: /^\/recording\/subjects\/[^/?]+$/ },
      {
        name: 'a blacklist entry of the court',
        via: { name: 'a subject', via: '/recording?q=Wang%20Fang', link: /^\/recording\/subjects\/[^/?]+$/ },
        link: /^\/recording\/entries\/[^/?]+$/,
      },
    ],
  },
  {
    role: 'reviewer',
    account: { username: 'demo-reviewer', password: 'review-demo-2026' },
    pages: [
      { name: 'queue', path: '/review' },
      { name: 'every appeal', path: '/review?status=all' },
      { name: 'an appeal under review', via: '/review?status=all', link: /^\/review\/appeals\/[^/?]+$/ },
      { name: 'statistics', path: '/review/statistics' },
      { name: 'account', path: '/me' },
    ],
  },
  {
    role: 'administrator',
    account: { username: 'demo-admin', password: 'admin-demo-2026' },
    pages: [
      { name: 'administration', path: '/admin' },
      { name: 'audit log', path: '/admin/audit' },
      { name: 'accounts', path: '/admin/accounts' },
      { name: 'an account', via: '/admin/accounts', link: /^\/admin\/accounts\/[^/?]+$/ },
      { name: 'scheme settings', path: '/admin/schemes/rongcheng/settings' },
      { name: 'a scheme’s rules', path: '/admin/schemes/rongcheng/rules' },
      { name: 'a rule version', via: '/admin/schemes/rongcheng/rules', link: /^\/admin\/rule-versions\/[^/?]+$/ },
      { name: 'rule challenges', path: '/admin/appeals' },
      { name: 'authorities', path: '/admin/authorities' },
      AUTHORITY,
      { name: 'an authority’s mandates', via: AUTHORITY, link: /^\/admin\/authorities\/[^/?]+\/mandates$/ },
      { name: 'review bodies', path: '/admin/review-bodies' },
      { name: 'API tokens', path: '/admin/tokens' },
      { name: 'relying parties', path: '/admin/relying-parties' },
      { name: 'a relying party', via: '/admin/relying-parties', link: /^\/admin\/relying-parties\/[^/?]+$/ },
      { name: 'account', path: '/me' },
    ],
  },
];

/** The address of a page: its path, or the first matching link on the page it is reached from. */
export async function addressOf(page: Page, target: PageToScan): Promise<string> {
  if (target.path) return target.path;
  if (!target.via || !target.link) throw new Error(`${target.name}: neither a path nor a link to follow`);
  const from = typeof target.via === 'string' ? target.via : await addressOf(page, target.via);
  await page.goto(from);
  const hrefs = await page.locator('main a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  const href = hrefs.find((h) => target.link!.test(h));
  expect(href, `${target.name}: no link matching ${target.link} on ${from}`).toBeTruthy();
  return href!;
}

/**
 * Signs in as the visitor (if anyone), then opens each of their pages and runs the axe scan on it,
 * plus `also` (a check of the page's own) where given.
 */
export async function scanEveryPage(page: Page, visitor: Visitor, also?: (page: Page) => Promise<void>): Promise<void> {
  // Each page is opened, some through another page (each scan adds its own time).
  test.setTimeout(20_000 + 5_000 * visitor.pages.length);
  if (visitor.account) await signIn(page, visitor.account.username, visitor.account.password);
  for (const target of visitor.pages) {
    await test.step(target.name, async () => {
      const address = await addressOf(page, target);
      const response = await page.goto(address);
      expect(response?.status(), `${target.name} at ${address}`).toBe(target.status ?? 200);
      await axeScan(page);
      if (also) await also(page);
    });
  }
}
