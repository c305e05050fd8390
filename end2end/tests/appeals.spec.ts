// Appeals with JavaScript off, playing both sides: Liu Yang (demo-liu) files with evidence, a
// reviewer claims and decides, Liu sees the decision, its reasons and the grade before and
// after; a reviewer of the recording authority is refused; a second-level review goes to
// another reviewer. Each test contests a different record of Liu Yang, whom no other spec uses.
import { expect, test, type Page } from '@playwright/test';
import { LANDING } from './helpers';

const LIU = ['demo-liu', 'liu-yang-demo-2026'] as const;
const REVIEWER = ['demo-reviewer', 'review-demo-2026'] as const;
const OFFICE = ['demo-reviewer-2', 'review2-demo-2026'] as const;
const REASONS = 'The enforcement file shows the judgment was set aside on appeal before this was recorded.';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

async function signIn(page: Page, [username, password]: readonly [string, string]) {
  await page.goto('/sign-in');
  await page.getByLabel('Sign-in name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(LANDING);
}

async function signOut(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

/** Files an appeal on Liu's counting record under `rule` (the last such line) and returns its path. */
async function fileOn(page: Page, rule: string, files: { name: string; mimeType: string; buffer: Buffer }[]) {
  await page.goto('/record');
  await page.locator('table.derivation').first().getByRole('link', { name: rule, exact: true }).last().click();
  await expect(page).toHaveURL(/\/record\/events\//);
  await page.getByRole('link', { name: 'Contest this' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Contest this');
  // Before filing, the form says when a decision is due.
  await expect(page.getByText(/If you file today, a decision is due by \d+ \w+ \d{4}, \d+ days from now\./)).toBeVisible();
  await page.getByLabel('It did not happen').check();
  await page.getByLabel('Your statement').fill('The judgment behind this record was set aside; see the attached order.');
  if (files.length) await page.getByLabel('Evidence (optional)').setInputFiles(files);
  await page.getByRole('button', { name: 'File the appeal' }).click();
  await expect(page).toHaveURL(/\/appeals\/[0-9a-f-]+\?done=filed$/);
  await expect(page.getByRole('status')).toHaveText('Your appeal was filed. You will get a notice when it is decided.');
  const reference = (await page.getByRole('heading', { level: 1 }).textContent())!.replace('Appeal ', '');
  return { path: new URL(page.url()).pathname, reference };
}

async function decide(page: Page, reference: string, outcome: RegExp, points?: string) {
  await page.goto('/review?status=open');
  await page.getByRole('link', { name: reference }).click();
  await page.getByLabel(outcome).check();
  if (points) await page.getByLabel('New points (partly upheld only)').fill(points);
  await page.getByLabel('Written reasons').fill(REASONS);
  await page.getByRole('button', { name: 'Record the decision' }).click();
  await expect(page.getByRole('status')).toHaveText('The decision was recorded; the subject was sent a notice.');
}

test('a subject files with evidence, a reviewer claims and upholds, the subject sees the new grade and reasons', async ({ page }) => {
  await signIn(page, LIU);
  const { path, reference } = await fileOn(page, 'COURT-01', [
    { name: 'court-order.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('我当天不在荣成。') },
  ]);
  await expect(page.getByRole('link', { name: 'court-order.pdf' })).toBeVisible();
  await expect(page.getByText(/A decision is due by/)).toBeVisible();
  await expect(page.getByText('While this appeal is open, the contested record is suspended')).toBeVisible();
  await signOut(page);

  await signIn(page, REVIEWER);
  await page.goto('/review');
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByRole('heading', { name: 'The contested record' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'court-order.pdf' })).toBeVisible();
  await expect(page.getByRole('heading', { name: "The subject's derivation now" })).toBeVisible();
  await page.getByRole('button', { name: 'Take this appeal' }).click();
  await expect(page.getByRole('status')).toHaveText('You took this appeal.');
  await page.getByLabel(/^Upheld/).check();
  await page.getByLabel('Written reasons').fill(REASONS);
  await page.getByRole('button', { name: 'Record the decision' }).click();
  await expect(page.getByRole('status')).toHaveText('The decision was recorded; the subject was sent a notice.');
  await signOut(page);

  await signIn(page, LIU);
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Decision: Upheld' })).toBeVisible();
  await expect(page.getByText(REASONS)).toBeVisible();
  await expect(page.getByText(/Your grade: .+ before, .+ after\./)).toBeVisible();
  await expect(page.getByText(/Decided by reviewer, Rongcheng Credit Review Board/)).toBeVisible();
  // The decision has a page to print or keep.
  await page.getByRole('link', { name: 'Printable decision' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Decision on appeal ${reference}`);
  await expect(page.getByText(REASONS)).toBeVisible();
  await expect(page.getByText(/Your grade: .+ before, .+ after\./)).toBeVisible();
  await expect(page.getByText(/Decided by reviewer, Rongcheng Credit Review Board, on \d+ \w+ \d{4}/)).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header.site-header')).toBeHidden();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.emulateMedia({ media: 'screen' });
  await page.goto('/notices');
  await expect(page.getByRole('link', { name: 'An appeal of yours was decided' }).first()).toBeVisible();
});

test('where a record keeps counting while disputed, the form says so and the record shows both grades', async ({ page }) => {
  // The demo already contests Liu's PAY-LATE record (standing.spec.ts reads that appeal); this
  // journey contests her other credit-bureau record, PAY-ONTIME, which no other spec touches.
  await signIn(page, LIU);
  await page.goto('/record');
  const coastal = page.getByRole('region', { name: 'Coastal component credit score', exact: true });
  const ontime = coastal.locator('table.derivation tr', { hasText: 'PAY-ONTIME' });
  await expect(coastal.getByText('Under appeal, still counting')).toHaveCount(1);
  await expect(ontime.getByText('Under appeal, still counting')).toHaveCount(0);
  await ontime.getByRole('link', { name: 'PAY-ONTIME', exact: true }).click();
  await page.getByRole('link', { name: 'Contest this' }).click();
  await expect(page.getByText(/If you file today, a decision is due by/)).toBeVisible();
  await expect(page.getByText(/this record keeps counting towards your score while the appeal is open/)).toBeVisible();
  await page.getByLabel('Other').check();
  await page.getByLabel('Your statement').fill('This payment was made from my late father\'s account, not mine.');
  await page.getByRole('button', { name: 'File the appeal' }).click();
  await expect(page).toHaveURL(/\/appeals\/[0-9a-f-]+\?done=filed$/);

  await page.goto('/record');
  await expect(ontime.getByText('Under appeal, still counting')).toBeVisible();
  await expect(coastal.getByText('Under appeal, still counting')).toHaveCount(2);
  await expect(coastal.getByText(/Without the records under appeal: score \d+, grade \w+\./)).toBeVisible();
});

test('a disguised file and an empty statement are refused and nothing is filed', async ({ page }) => {
  await signIn(page, LIU);
  await page.goto('/record');
  await page.locator('table.derivation').first().getByRole('link', { name: 'TAX-01', exact: true }).click();
  await page.getByRole('link', { name: 'Contest this' }).click();
  await page.getByLabel('Evidence (optional)').setInputFiles({
    name: 'receipt.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>'),
  });
  await page.getByRole('button', { name: 'File the appeal' }).click();
  const summary = page.getByRole('alert');
  await expect(summary).toContainText('Choose why you contest it.');
  await expect(summary).toContainText('Write a statement saying what happened.');
  await expect(summary).toContainText('receipt.pdf is not a PDF, PNG, JPEG or plain text file.');
  await page.goto('/appeals');
  await expect(page.getByText('TAX-01')).toHaveCount(0);
});

test('a reviewer of the recording authority may not decide, and the overdue appeal is flagged', async ({ page }) => {
  await signIn(page, OFFICE);
  await page.goto('/review');
  await page.getByLabel('Overdue only').check();
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/overdue=1/);
  const row = page.getByRole('row').filter({ hasText: 'TRAFFIC-02' });
  await expect(row.getByText('Overdue')).toBeVisible();
  await row.getByRole('link').first().click();
  await expect(page.getByText(/Overdue: the decision was due on/)).toBeVisible();
  await expect(page.getByText('The contested record was made by your own authority, so you cannot decide this appeal.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Record the decision' })).toHaveCount(0);
});

test('a second-level review is asked for once and done by another reviewer', async ({ page }) => {
  await signIn(page, LIU);
  const { path, reference } = await fileOn(page, 'FRAUD-01', []);
  await signOut(page);
  await signIn(page, REVIEWER);
  await decide(page, reference, /^Rejected/);
  await signOut(page);

  await signIn(page, LIU);
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Decision: Rejected' })).toBeVisible();
  await page.getByLabel('Why is the decision wrong?').fill('The reviewer did not read the police report I attached.');
  await page.getByRole('button', { name: 'Ask for a second-level review' }).click();
  await expect(page.getByRole('status')).toHaveText('A second-level review was asked for; a different reviewer will decide.');
  await expect(page.getByRole('button', { name: 'Ask for a second-level review' })).toHaveCount(0);
  await signOut(page);

  await signIn(page, REVIEWER);
  await page.goto('/review');
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByText('You decided this appeal at the first level; a second-level review must be done by another reviewer.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Record the decision' })).toHaveCount(0);
  await signOut(page);

  await signIn(page, OFFICE);
  await decide(page, reference, /^Partly upheld/, '-50');
  await signOut(page);

  await signIn(page, LIU);
  await page.goto(path);
  await expect(page.getByRole('heading', { name: /Second-level decision: Partly upheld/ })).toBeVisible();
  await expect(page.getByText(/Your grade: .+ before, .+ after\./).last()).toBeVisible();
});
