/**
 * Requests from authorities on the moderation console, in a real browser against a real server: two
 * platform admins record, approve and disclose a request (the person concerned is told), an emergency
 * late for its second review is flagged Overdue, a preservation hold is extended and a request rejected,
 * and a platform moderator never sees the page.
 */
import type { Page } from 'playwright-core';

import { LegalRequestModel } from '../models';
import { openConsole, useBrowser, useTestServer } from './support/harness';
import { createChat, person, post, type Person } from './support/world';

const server = useTestServer();
const browser = useBrowser();

const HOUR = 3_600_000;

/** The visible controls in `selector` without an accessible name (as in test/console-takedown.test.ts), as HTML. */
function unnamedControls(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .flatMap((root) => [...root.querySelectorAll('button, select, input, textarea, a')])
    .filter((el) => el.checkVisibility())
    .filter((el) => {
      const byId = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent || '').join('');
      const labels = [...(el.labels || [])].map((l) => l.textContent).join('');
      const own = el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent : '';
      return !((el.getAttribute('aria-label') || '') + byId + labels + own).trim();
    })
    .map((el) => el.outerHTML)`);
}

/** A person who wrote in a chat. */
async function suspect(): Promise<Person> {
  const owner = await person(server, 'owner');
  const author = await person(server, 'suspect');
  const chat = await createChat(owner, 'group', [author]);
  await post(author, chat.id, 'the message the police asked about');
  return author;
}

function record(by: Person, overrides: Record<string, unknown>) {
  return server.http('POST', '/api/legal-requests', {
    token: by.token,
    body: {
      authority: { name: 'Procura della Repubblica di Milano', country: 'IT', kind: 'prosecutor' },
      instrument: 'emergency',
      legalBasis: 'Art. 254-bis c.p.p.',
      reference: `PM-${Math.random().toString(36).slice(2, 8)}`,
      receivedAt: new Date().toISOString(),
      dataRequested: ['subscriber'],
      ...overrides,
    },
  });
}

/** Console errors other than the refusals the scenario provokes on purpose (a CSP violation would be here). */
const unexpected = (errors: string[]) => errors.filter((e) => !/^Failed to load resource: .* (400|404|409)/.test(e));

const row = (page: Page, requestId: string) => page.locator(`#requests-rows tr[data-request-id="${requestId}"]`);

test('two admins record, approve and disclose a request on the console; the person concerned is told', async () => {
  const adminA = await person(server, 'admin', 'admin');
  const adminB = await person(server, 'admin', 'admin');
  const author = await suspect();

  const a = await openConsole(browser(), server.url, adminA);
  const nav = a.page.locator('#nav a[data-view="requests"]');
  expect(await nav.isVisible()).toBe(true);
  await nav.click();
  await a.page.waitForSelector('#requests-list:not([hidden])');
  await a.page.getByRole('link', { name: 'Record a request' }).click();
  await a.page.waitForSelector('#request-new:not([hidden])');
  expect(await a.page.evaluate('document.activeElement.name')).toBe('authorityName');
  expect(await unnamedControls(a.page, '#request-new')).toEqual([]);

  // The form, by its labels. Markup in a name stays text.
  const name = 'LKA <b>Berlin</b> <img src=x onerror=alert(1)>';
  await a.page.getByLabel('Authority name').fill(name);
  await a.page.getByLabel('Country (2-letter code)').fill('xx');
  await a.page.getByLabel('Kind of authority').selectOption('police');
  await a.page.getByLabel('Instrument').selectOption('epoc');
  await a.page.getByLabel('Legal basis').fill('Regulation (EU) 2023/1543, Art. 5');
  await a.page.getByLabel('Their reference').fill('LKA-2024-0042');
  expect(await a.page.getByLabel('Received at').inputValue()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
  await a.page.getByLabel('Deadline (optional)').fill('2031-01-15T12:00');
  await a.page.getByLabel('Targets, one per line').fill(`user:${author.id}\nsomeone`);
  await a.page.getByLabel('subscriber: who an account is').check();
  await a.page.getByLabel('content: messages').check();

  // A line that is no target is named before anything is sent; the server's refusal is shown in words.
  await a.page.getByRole('button', { name: 'Record request' }).click();
  expect(await a.page.textContent('#request-form-error')).toMatch(/^Targets, line 2: write user:<id>/);
  await a.page.getByLabel('Targets, one per line').fill(`user:${author.id}`);
  await a.page.getByRole('button', { name: 'Record request' }).click();
  await a.page.waitForSelector('#request-form-error:has-text("invalid_input")');
  expect(await a.page.textContent('#request-form-error')).toContain('country');
  expect(await LegalRequestModel.countDocuments()).toBe(0);

  await a.page.getByLabel('Country (2-letter code)').fill('de');
  await a.page.getByRole('button', { name: 'Record request' }).click();
  await a.page.waitForSelector('#request-page:not([hidden]) #request-facts');
  const requestId = a.page.url().split('#/requests/')[1]!;
  expect(requestId).toMatch(/^[0-9a-f]{24}$/);
  const stored = await LegalRequestModel.findById(requestId).lean();
  expect(stored).toMatchObject({
    authority: { name, country: 'DE', kind: 'police' },
    instrument: 'epoc',
    reference: 'LKA-2024-0042',
    targets: [{ type: 'user', id: author.id }],
    dataRequested: ['subscriber', 'content'],
    status: 'received',
    approvalsNeeded: 2,
    preserve: false,
  });
  expect(stored!.deadline).toEqual(new Date(2031, 0, 15, 12, 0));
  expect(await a.page.textContent('#request-title')).toBe(`${name} DE`);
  expect(await a.page.locator('#request-title img, #request-title b').count()).toBe(0);
  expect(await a.page.textContent('#request-targets')).toBe(`user:${author.id}`);
  expect(await a.page.getByRole('button', { name: 'Disclose', exact: true }).isDisabled()).toBe(true);
  expect(await a.page.textContent('#request-disclose-why')).toBe(
    'Disclosure needs 2 approvals by different admins; it has 0.',
  );

  // Listed, newest first: received, 0 of 2 approvals.
  await a.page.getByRole('link', { name: '← Requests' }).click();
  await row(a.page, requestId).waitFor();
  const listed = row(a.page, requestId);
  expect(await listed.locator('td').allTextContents()).toEqual([
    expect.any(String),
    `${name} DEpolice, ref. LKA-2024-0042`,
    'epoc',
    expect.any(String),
    '1',
    'received',
    '0/2',
    '',
  ]);
  expect(await unnamedControls(a.page, '#requests-list')).toEqual([]);

  // Admin A approves, with the keyboard only: the button, the legal check, the reason, the submit.
  await listed.getByRole('link').click();
  const approve = a.page.getByRole('button', { name: 'Approve', exact: true });
  await approve.waitFor();
  await approve.focus();
  await a.page.keyboard.press('Enter');
  await a.page.waitForSelector('#request-review[open]');
  expect(await a.page.textContent('#request-review-title')).toBe('Approve this request');
  expect(await a.page.isHidden('#request-review select[name=rejectionGround]')).toBe(true);
  expect(await unnamedControls(a.page, '#request-review')).toEqual([]);
  expect(await a.page.evaluate('document.activeElement.name')).toBe('legalCheck');
  await a.page.keyboard.type('EPOC from a competent authority; scope limited to one account');
  await a.page.keyboard.press('Tab');
  await a.page.keyboard.type('Valid order');
  await a.page.keyboard.press('Tab');
  await a.page.keyboard.press('Tab');
  expect(await a.page.evaluate('document.activeElement.id')).toBe('request-review-ok');
  await a.page.keyboard.press('Enter');
  await a.page.waitForSelector('#request-review', { state: 'hidden' });
  await a.page.waitForSelector('#request-reviews li');
  expect(await a.page.textContent('#request-facts')).toContain('1/2');
  expect(await a.page.textContent('#request-reviews')).toContain('Valid order');
  expect(await a.page.getByRole('button', { name: 'Disclose', exact: true }).isDisabled()).toBe(true);

  // A second approval by the same admin is refused, in words.
  await approve.click();
  await a.page.fill('#request-review textarea[name=legalCheck]', 'again');
  await a.page.fill('#request-review textarea[name=reason]', 'again');
  await a.page.click('#request-review-ok');
  await a.page.waitForSelector('#request-review-error:not(:empty)');
  expect(await a.page.textContent('#request-review-error')).toBe(
    'You reviewed this request already: another admin must review it. (conflict)',
  );
  await a.page.click('#request-review-cancel');

  // Admin B, in a browser of their own, approves and discloses.
  const b = await openConsole(browser(), server.url, adminB);
  await b.page.goto(`${server.url}/console#/requests/${requestId}`);
  await b.page.getByRole('button', { name: 'Approve', exact: true }).click();
  await b.page.fill('#request-review textarea[name=legalCheck]', 'Second check: basis and scope');
  await b.page.fill('#request-review textarea[name=reason]', 'Agreed');
  await b.page.click('#request-review-ok');
  await b.page.waitForSelector('#request-facts .status-approved');
  expect(await b.page.textContent('#request-facts')).toContain('2/2');
  const disclose = b.page.getByRole('button', { name: 'Disclose', exact: true });
  expect(await disclose.isEnabled()).toBe(true);
  await disclose.click();
  await b.page.waitForSelector('#request-confirm[open]');
  expect(await b.page.textContent('#request-confirm-text')).toContain('subscriber, content about 1 target');
  expect(await unnamedControls(b.page, '#request-confirm')).toEqual([]);
  // Cancel first: nothing happens.
  await b.page.click('#request-confirm-cancel');
  expect((await LegalRequestModel.findById(requestId).lean())!.status).toBe('approved');
  await disclose.click();
  await b.page.getByRole('button', { name: 'Disclose now' }).click();
  await b.page.waitForSelector('#request-confirm', { state: 'hidden' });
  await b.page.waitForSelector('#request-outcome-status');
  expect(await b.page.textContent('#request-outcome-status')).toBe('Disclosed: complied');
  const manifest = await b.page
    .locator('#request-manifest-table tbody tr')
    .evaluateAll((rows) => rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  expect(manifest).toEqual([
    [`user:${author.id}`, 'subscriber', '1', expect.stringMatching(/^[0-9a-f]{64}$/)],
    [`user:${author.id}`, 'content', '1', expect.stringMatching(/^[0-9a-f]{64}$/)],
  ]);
  expect(await b.page.textContent('#request-facts')).toContain('complied');
  expect(await disclose.isDisabled()).toBe(true);
  expect(await b.page.textContent('#request-history')).toContain('disclosed (complied)');

  // The person concerned is told.
  const notices = await server.http('GET', '/api/me/notices', { token: author.token });
  expect(notices.body.notices).toEqual(
    expect.arrayContaining([expect.objectContaining({ actionType: 'disclose_data' })]),
  );

  // Admin A reads the manifest again from the request's page (a read that is access-logged).
  await a.page.reload();
  await a.page.getByRole('button', { name: 'Show manifest' }).click();
  await a.page.waitForSelector('#request-manifest-table');
  expect(await a.page.locator('#request-manifest-table tbody tr').count()).toBe(2);

  for (const { dialogs, errors } of [a, b]) {
    expect(dialogs).toEqual([]);
    expect(unexpected(errors)).toEqual([]);
  }
  await a.page.context().close();
  await b.page.context().close();
});

test('an emergency whose second review is past 72 hours is flagged Overdue; the status filter narrows the list', async () => {
  const admin = await person(server, 'admin', 'admin');
  const author = await suspect();
  const late = await record(admin, { targets: [{ type: 'user', id: author.id }] });
  const onTime = await record(admin, { targets: [{ type: 'user', id: author.id }] });
  for (const created of [late, onTime]) {
    expect(created.status).toBe(201);
    const reviewed = await server.http('POST', `/api/legal-requests/${created.body.request.id}/reviews`, {
      token: admin.token,
      body: { verdict: 'approve', legalCheck: 'Imminent threat to life', reason: 'Emergency' },
    });
    expect(reviewed.status).toBe(201);
  }
  const lateId: string = late.body.request.id;
  const onTimeId: string = onTime.body.request.id;
  await LegalRequestModel.updateOne({ _id: lateId }, { $set: { 'reviews.0.at': new Date(Date.now() - 73 * HOUR) } });

  const { page, errors } = await openConsole(browser(), server.url, admin);
  await page.keyboard.press('g');
  await page.keyboard.press('r');
  await row(page, lateId).waitFor();
  expect(await row(page, lateId).locator('td.flags').textContent()).toBe('Overdue');
  expect(await row(page, lateId).locator('td.approvals').textContent()).toBe('1/1');
  expect(await row(page, onTimeId).locator('td.flags').textContent()).toBe('');
  // Newest first.
  const order = await page.locator('#requests-rows tr').evaluateAll((rows) => rows.map((tr) => tr.dataset.requestId));
  expect(order.indexOf(onTimeId)).toBeLessThan(order.indexOf(lateId));

  await page.locator('#requests-filters select[name=status]').selectOption('rejected');
  await page.waitForSelector('#requests-empty:not([hidden])');
  expect(await page.locator('#requests-rows tr').count()).toBe(0);
  await page.locator('#requests-filters select[name=status]').selectOption('approved');
  await row(page, lateId).waitFor();

  // The request's page shows the flag too.
  await row(page, lateId).locator('td').first().click();
  await page.waitForSelector('#request-flags .flag-overdue');
  expect(unexpected(errors)).toEqual([]);
  await page.context().close();
});

test('a preservation hold is extended once from the console, and a request is rejected on a ground', async () => {
  const admin = await person(server, 'admin', 'admin');
  const author = await suspect();
  const created = await record(admin, {
    instrument: 'preservation',
    dataRequested: [],
    targets: [{ type: 'user', id: author.id }],
  });
  expect(created.status).toBe(201);
  const id: string = created.body.request.id;
  const heldUntil = new Date(created.body.request.heldUntil);

  const { page, errors } = await openConsole(browser(), server.url, admin);
  await page.goto(`${server.url}/console#/requests/${id}`);
  await page.waitForSelector('#request-facts');
  expect(await page.textContent('#request-flags')).toMatch(/^Held until \S/);
  expect(await page.getAttribute('#request-flags time', 'datetime')).toBe(heldUntil.toISOString());
  expect(await page.getByRole('button', { name: 'Disclose', exact: true }).isDisabled()).toBe(true);
  expect(await page.textContent('#request-disclose-why')).toBe(
    'A preservation request holds data; it discloses nothing.',
  );

  await page.getByRole('button', { name: 'Extend hold' }).click();
  await page.getByRole('button', { name: 'Extend by 90 days' }).click();
  await page.waitForSelector('#request-confirm', { state: 'hidden' });
  await page.waitForSelector('#request-history li:has-text("hold extended")');
  const extended = (await LegalRequestModel.findById(id).lean())!.heldUntil!;
  expect(extended.getTime() - heldUntil.getTime()).toBe(90 * 24 * HOUR);
  // Once only: the refusal is shown in the dialog.
  await page.getByRole('button', { name: 'Extend hold' }).click();
  await page.getByRole('button', { name: 'Extend by 90 days' }).click();
  await page.waitForSelector('#request-confirm-error:not(:empty)');
  expect(await page.textContent('#request-confirm-error')).toBe(
    'A hold is extended once; a longer one is a new request. (conflict)',
  );
  await page.keyboard.press('Escape');
  await page.waitForSelector('#request-confirm', { state: 'hidden' });

  // A rejection needs its ground.
  await page.getByRole('button', { name: 'Reject', exact: true }).click();
  await page.waitForSelector('#request-review[open]');
  expect(await unnamedControls(page, '#request-review')).toEqual([]);
  await page.fill('#request-review textarea[name=legalCheck]', 'No court authorised it');
  await page.fill('#request-review textarea[name=reason]', 'Preservation beyond the statute');
  await page.click('#request-review-ok');
  expect(await page.textContent('#request-review-error')).toBe('Choose the ground it is rejected on.');
  await page.getByLabel('Ground of rejection (required)').selectOption('no_legal_basis');
  await page.getByRole('button', { name: 'Record rejection' }).click();
  await page.waitForSelector('#request-facts .status-rejected');
  expect(await page.textContent('#request-reviews')).toContain('Rejected (no_legal_basis)');
  expect(await page.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
  expect(unexpected(errors)).toEqual([]);
  await page.context().close();
});

test('a platform moderator sees no Requests page', async () => {
  const moderator = await person(server, 'mod', 'moderator');
  const { page, errors } = await openConsole(browser(), server.url, moderator);
  expect(await page.locator('#nav a[data-view="requests"]').isHidden()).toBe(true);
  expect(await page.locator('#nav a[data-view="queue"]').isVisible()).toBe(true);
  await page.goto(`${server.url}/console#/requests`);
  await page.waitForSelector('#queue:not([hidden])');
  expect(await page.isHidden('#requests')).toBe(true);
  await page.keyboard.press('g');
  await page.keyboard.press('r');
  await page.waitForSelector('#queue:not([hidden])');
  expect(await page.isHidden('#requests')).toBe(true);
  expect((await server.http('GET', '/api/legal-requests', { token: moderator.token })).status).toBe(404);
  expect(unexpected(errors)).toEqual([]);
  await page.context().close();
});
