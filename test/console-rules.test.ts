/**
 * Automatic filters from the moderation console, in a real browser against a real server: a platform moderator
 * writes a keyword rule (in shadow), sees what it would have caught, enforces it and deletes it; a chat admin
 * writes a rule for their chat and is offered no platform scope.
 */
import type { Page } from 'playwright-core';

import { FilterRuleModel } from '../models';
import { emit, openConsole, useBrowser, useTestServer } from './support/harness';
import { createChat, ok, person, send } from './support/world';

const server = useTestServer();
const browser = useBrowser();

/** The visible controls in `selector` without an accessible name, as HTML (see test/console-takedown.test.ts). */
function unnamedControls(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .flatMap((root) => [...root.querySelectorAll('button, select, input, textarea')])
    .filter((el) => el.checkVisibility())
    .filter((el) => {
      const byId = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent || '').join('');
      const labels = [...(el.labels || [])].map((l) => l.textContent).join('');
      const own = el.tagName === 'BUTTON' ? el.textContent : '';
      return !((el.getAttribute('aria-label') || '') + byId + labels + own).trim();
    })
    .map((el) => el.outerHTML)`);
}

/** The values of a select's options. */
function optionValues(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(`${selector} option`)})].map((o) => o.value)`);
}

/** Clicks Refresh hits until the rule's hit count reads `count` (hits are recorded just after the send). */
async function waitForHits(page: Page, count: number): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    if ((await page.textContent('#rule-hit-count')) === String(count)) return;
    await page.click('#rule-refresh');
    await page.waitForTimeout(100);
  }
  throw new Error(`the rule never showed ${count} hits`);
}

test('a platform moderator writes a keyword rule in shadow, sees its hit, enforces it, then deletes it', async () => {
  const moderator = await person(server, 'mod', 'moderator');
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member]);

  const { page, dialogs, errors } = await openConsole(browser(), server.url, moderator);
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.waitForSelector('#rules-list:not([hidden])');
  expect(await page.inputValue('#rules-filters select[name=scope]')).toBe('platform');
  await page.waitForSelector('#rules-empty:not([hidden])');
  expect(await unnamedControls(page, '#rules-list')).toEqual([]);

  await page.getByRole('link', { name: 'New rule' }).click();
  await page.waitForSelector('#rule-new:not([hidden])');
  expect(await page.evaluate('document.activeElement.name')).toBe('name');
  expect(await optionValues(page, '#rule-form select[name=scope]')).toEqual(['platform', 'other']);
  expect(await page.inputValue('#rule-form select[name=mode]')).toBe('shadow');
  expect(await unnamedControls(page, '#rule-new')).toEqual([]);

  // A pattern RE2 refuses is refused by the server, in words; a mute asks for its duration.
  await page.locator('#rule-form').getByLabel('Name', { exact: true }).fill('No <b>crypto</b> spam');
  await page.selectOption('#rule-form select[name=triggerType]', 'regex');
  await page
    .locator('#rule-form')
    .getByLabel(/^Patterns, one per line/)
    .fill('(a');
  await page.click('#rule-form-ok');
  await page.waitForSelector('#rule-form-error:not(:empty)');
  expect(await page.textContent('#rule-form-error')).toMatch(/\(invalid_input\)$/);
  await page.selectOption('#rule-form select[name=actionType]', 'mute');
  expect(await page.isVisible('#rule-form input[name=durationSec]')).toBe(true);
  expect(await unnamedControls(page, '#rule-new')).toEqual([]);
  await page.selectOption('#rule-form select[name=actionType]', 'block');
  expect(await page.isHidden('#rule-form input[name=durationSec]')).toBe(true);

  // The keyword rule, in shadow (the default), with a note.
  await page.selectOption('#rule-form select[name=triggerType]', 'keyword');
  await page
    .locator('#rule-form')
    .getByLabel(/^Words or phrases/)
    .fill('moonc0in\n\nfree money\n');
  await page.locator('#rule-form').getByLabel('Note to the author (optional)').fill('No coin spam here.');
  await page.click('#rule-form-ok');
  await page.waitForSelector('#rule-page:not([hidden]) #rule-facts');
  const rule = (await FilterRuleModel.findOne({ name: 'No <b>crypto</b> spam' }).lean())!;
  expect(rule).toMatchObject({ chatId: null, mode: 'shadow', trigger: { words: ['moonc0in', 'free money'] } });
  expect(page.url()).toContain(`#/rules/${rule._id.toString()}`);
  expect(await page.textContent('#rule-title')).toBe('No <b>crypto</b> spam shadow');
  expect(await page.locator('#rule-title b').count()).toBe(0);
  expect(await page.textContent('#rule-facts')).toContain('keyword: moonc0in, free money');
  expect(await page.textContent('#rule-facts')).toContain('note: No coin spam here.');
  await page.waitForSelector('#rule-hits-empty');

  // In shadow, a matching message is delivered; the rule's page shows the hit with its excerpt.
  const shadowed = await send(member, chat.id, 'buy MOONCOIN now <img src=x onerror=alert(1)>');
  expect(shadowed.ok).toBe(true);
  await waitForHits(page, 1);
  const hitRows = page.locator('#rule-hits tbody tr');
  expect(await hitRows.count()).toBe(1);
  expect(await hitRows.first().locator('.excerpt').textContent()).toBe('buy MOONCOIN now <img src=x onerror=alert(1)>');
  expect(await page.locator('#rule-hits img').count()).toBe(0);
  expect(await hitRows.first().textContent()).toContain('shadow');
  expect(await unnamedControls(page, '#rule-page')).toEqual([]);

  // Enforce, by keyboard: the next matching send is refused `filtered` with the note; Back to shadow is offered.
  const enforce = page.getByRole('button', { name: 'Enforce', exact: true });
  await enforce.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Back to shadow' }).waitFor();
  expect(await page.textContent('#rule-status')).toContain('Enforced');
  expect((await FilterRuleModel.findById(rule._id).lean())!.mode).toBe('enforce');
  expect(await send(member, chat.id, 'free   MONEY for all')).toEqual({
    ok: false,
    error: expect.objectContaining({ code: 'filtered', message: 'No coin spam here.' }),
  });
  await waitForHits(page, 2);

  // The list shows it with its scope, trigger, action, mode and stats.
  await page.getByRole('link', { name: '← Rules' }).click();
  const row = page.locator('#rules-rows tr');
  await row.first().waitFor();
  expect(await row.count()).toBe(1);
  const cells = await row.first().locator('td').allTextContents();
  expect(cells).toEqual([
    'No <b>crypto</b> spam',
    'Platform',
    'keyword: moonc0in, free money',
    'blocknote: No coin spam here.',
    'enforce',
    '2',
    '—',
  ]);

  // Delete asks first; Cancel does nothing, Delete rule deletes it.
  await row.first().getByRole('link').click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForSelector('#rule-confirm[open]');
  expect(await page.textContent('#rule-confirm-text')).toContain('No <b>crypto</b> spam');
  expect(await unnamedControls(page, '#rule-confirm')).toEqual([]);
  expect(await page.evaluate('document.activeElement.id')).toBe('rule-confirm-cancel');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#rule-confirm', { state: 'hidden' });
  expect(await FilterRuleModel.countDocuments({ _id: rule._id })).toBe(1);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.click('#rule-confirm-ok');
  await page.waitForSelector('#rules-list:not([hidden]) #rules-empty:not([hidden])');
  expect(await FilterRuleModel.countDocuments({ _id: rule._id })).toBe(0);
  ok(await send(member, chat.id, 'moonc0in again'));

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
}, 60_000);

test('a chat admin writes a rule for their chat, is offered no platform scope, and is refused another chat in words', async () => {
  const owner = await person(server, 'owner');
  const admin = await person(server, 'admin');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member], [admin]);
  const otherChat = await createChat(member, 'group');

  const { page, dialogs, errors } = await openConsole(browser(), server.url, admin);
  expect(await page.isVisible('#queue')).toBe(true);
  await page.goto(`${server.url}/console#/rules`);
  await page.waitForSelector('#rules-list:not([hidden])');
  expect(await optionValues(page, '#rules-filters select[name=scope]')).toEqual([chat.id, 'other']);
  await page.waitForSelector('#rules-empty:not([hidden])');

  // Another chat's rules, by id: refused, in words.
  await page.selectOption('#rules-filters select[name=scope]', 'other');
  await page.locator('#rules-filters').getByLabel('Chat id').fill(otherChat.id);
  await page.getByRole('button', { name: 'Show rules' }).click();
  await page.waitForSelector('#rules-error:not(:empty)');
  expect(await page.textContent('#rules-error')).toMatch(/\((forbidden|not_found)\)$/);

  await page.getByRole('link', { name: 'New rule' }).click();
  await page.waitForSelector('#rule-new:not([hidden])');
  const scopes = await optionValues(page, '#rule-form select[name=scope]');
  expect(scopes).not.toContain('platform');
  expect(scopes).toEqual([chat.id, 'other']);
  await page.selectOption('#rule-form select[name=scope]', chat.id);
  await page.locator('#rule-form').getByLabel('Name', { exact: true }).fill('Too many mentions');
  await page.selectOption('#rule-form select[name=triggerType]', 'mentions');
  await page
    .locator('#rule-form')
    .getByLabel(/^Most mentions allowed/)
    .fill('3');
  await page.selectOption('#rule-form select[name=actionType]', 'hold');
  expect(await unnamedControls(page, '#rule-new')).toEqual([]);
  await page.click('#rule-form-ok');
  await page.waitForSelector('#rule-page:not([hidden]) #rule-facts');
  expect(await page.textContent('#rule-facts')).toContain('more than 3 mentions');
  const created = (await FilterRuleModel.findOne({ name: 'Too many mentions' }).lean())!;
  expect(created).toMatchObject({ mode: 'shadow', trigger: { type: 'mentions', max: 3 }, action: { type: 'hold' } });
  expect(created.chatId!.toString()).toBe(chat.id);

  // The chat's list shows it; the platform's rules stay out of reach over the socket too.
  await page.getByRole('link', { name: '← Rules' }).click();
  await page.locator('#rules-rows tr').first().waitFor();
  expect(await page.inputValue('#rules-filters select[name=scope]')).toBe(chat.id);
  expect(await page.locator('#rules-rows tr td').nth(0).textContent()).toBe('Too many mentions');
  expect(await emit(admin.socket, 'mod:rules', {})).toEqual({
    ok: false,
    error: expect.objectContaining({ code: 'forbidden' }),
  });

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
}, 60_000);
