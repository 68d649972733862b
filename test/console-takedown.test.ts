/**
 * Taking things down from the moderation console, in a real browser against a real server: closing a
 * reported chat from its case (with its ground) and reopening it, and purging a person's messages after
 * the console has shown how many a purge would hide.
 */
import type { Page } from 'playwright-core';

import { ModerationCaseModel } from '../models';
import { emit, emitRaw, nextEvent, openConsole, useBrowser, useTestServer } from './support/harness';
import { asMessages, createChat, ok, person, post, report } from './support/world';

const server = useTestServer();
const browser = useBrowser();

async function caseAbout(targetId: string): Promise<string> {
  const found = await ModerationCaseModel.findOne({ targetId }).lean();
  if (!found) throw new Error(`no case about ${targetId}`);
  return found._id.toString();
}

/**
 * The visible buttons, selects, inputs and textareas in `selector` that have no accessible name (aria-label,
 * aria-labelledby, a label, or a button's text), as HTML. Evaluated as text: the page's CSP forbids nothing here.
 */
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

test('a moderator closes a reported chat from its case with a ground and a reason, the members hear it, then reopens it', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const moderator = await person(server, 'mod', 'moderator');
  const otherModerator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [member]);
  await post(owner, chat.id, 'selling what may not be sold');
  await report(member, 'chat', chat.id, 'illegal_goods');
  const caseId = await caseAbout(chat.id);

  const { page, dialogs, errors } = await openConsole(browser(), server.url, moderator);
  await page.goto(`${server.url}/console#/case/${caseId}`);
  const close = page.getByRole('button', { name: 'Close chat' });
  await close.waitFor();
  expect(await page.isHidden('#case-target .closed-notice')).toBe(true);

  // Keyboard only: the button, the dialog's ground (the case's reason preselected), the reason, confirm.
  const closed = nextEvent(member.socket, 'chat:closed', 5000);
  await close.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#confirm[open]');
  const ground = page.getByLabel('Ground (required)');
  expect(await page.evaluate('document.activeElement.name')).toBe('category');
  expect(await ground.inputValue()).toBe('illegal_goods');
  // The grounds of illegal content come first, then the other report reasons.
  const grounds: string[] = await page.evaluate(
    `[...document.querySelectorAll('#confirm select[name=category] option')].map((o) => o.value).filter(Boolean)`,
  );
  expect(grounds.slice(0, 6)).toEqual([
    'child_abuse',
    'terrorism',
    'non_consensual_imagery',
    'illegal_goods',
    'scam',
    'copyright',
  ]);
  expect([...grounds].sort()).toEqual(
    [
      ...['child_abuse', 'terrorism', 'non_consensual_imagery', 'illegal_goods', 'scam', 'copyright'],
      ...['violence', 'sexual_content', 'hate', 'harassment', 'personal_data', 'spam', 'other'],
    ].sort(),
  );
  expect(await unnamedControls(page, '#confirm')).toEqual([]);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Sells weapons to anyone');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.id')).toBe('confirm-ok');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#confirm', { state: 'hidden' });

  expect(await closed).toEqual({
    chatId: chat.id,
    notice: { category: 'illegal_goods', reason: 'Sells weapons to anyone', at: expect.any(String), appealable: true },
  });
  // The case shows the chat closed, with its notice; the close decided the case; Reopen is offered.
  const notice = page.locator('#case-target .closed-notice');
  await notice.waitFor();
  expect(await notice.textContent()).toContain('illegal_goods');
  expect(await notice.textContent()).toContain('Sells weapons to anyone');
  await page.waitForSelector('#case-facts .status-actioned');
  const reopen = page.getByRole('button', { name: 'Reopen chat' });
  await reopen.waitFor();
  expect(await close.count()).toBe(0);
  expect(ok(await emit(member.socket, 'chat:get', { chatId: chat.id })).chat.closed).toMatchObject({
    category: 'illegal_goods',
  });
  expect(await unnamedControls(page, '#case-actions')).toEqual([]);

  // Reopening: a reason, and the members hear the chat is back.
  const reopened = nextEvent(member.socket, 'chat:reopened', 5000);
  await reopen.click();
  await page.waitForSelector('#confirm[open]');
  expect(await page.isHidden('#confirm select[name=category]')).toBe(true);
  await page.fill('#confirm textarea[name=reason]', 'The seller was a prop shop');
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm', { state: 'hidden' });
  expect(await reopened).toEqual({ chatId: chat.id });
  await close.waitFor();
  expect(await page.locator('#case-target .closed-notice').count()).toBe(0);
  expect(ok(await emit(member.socket, 'chat:get', { chatId: chat.id })).chat.closed).toBeUndefined();

  // Someone else closes it while this moderator is still giving a reason: the refusal is shown in words.
  await close.click();
  await page.waitForSelector('#confirm[open]');
  await page.selectOption('#confirm select[name=category]', 'spam');
  await page.fill('#confirm textarea[name=reason]', 'too late');
  ok(await emit(otherModerator.socket, 'mod:chat-close', { chatId: chat.id, category: 'scam', reason: 'a scam shop' }));
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm-error:not(:empty)');
  expect(await page.textContent('#confirm-error')).toBe('That chat is closed already. (conflict)');
  await page.click('#confirm-cancel');
  // The live mod:action brings the case up to date: closed, for scam, with Reopen offered.
  await reopen.waitFor();
  expect(await page.locator('#case-target .closed-notice').textContent()).toContain('a scam shop');

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('the chat of a reported message is shown to a platform moderator, who may close it from the message case', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author]);
  const message = await post(author, chat.id, 'terrible things');
  await report(owner, 'message', message.id, 'terrorism');

  const { page, errors } = await openConsole(browser(), server.url, moderator);
  await page.goto(`${server.url}/console#/case/${await caseAbout(message.id)}`);
  await page.locator('#case-chat', { hasText: chat.title }).waitFor();
  const closed = nextEvent(author.socket, 'chat:closed', 5000);
  await page.getByRole('button', { name: 'Close chat' }).click();
  await page.waitForSelector('#confirm[open]');
  expect(await page.inputValue('#confirm select[name=category]')).toBe('terrorism');
  await page.fill('#confirm textarea[name=reason]', 'A recruiting channel');
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm', { state: 'hidden' });
  // The message case is not about the chat: the close leaves it open for a decision about the message.
  expect((await closed).notice).toMatchObject({ category: 'terrorism', reason: 'A recruiting channel' });
  await page.locator('#case-chat .closed-notice', { hasText: 'A recruiting channel' }).waitFor();
  await page.getByRole('button', { name: 'Reopen chat' }).waitFor();
  expect(await page.isVisible('#case-facts .status-open')).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('a chat admin is offered no Close chat, and purges only in their chat', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const chatAdmin = await person(server, 'chatadmin');
  const chat = await createChat(owner, 'group', [author], [chatAdmin]);
  const message = await post(author, chat.id, 'spam spam spam');
  await report(owner, 'message', message.id, 'spam');

  const { page, errors } = await openConsole(browser(), server.url, chatAdmin);
  await page.goto(`${server.url}/console#/case/${await caseAbout(message.id)}`);
  await page.waitForSelector('#case-actions [data-action=hide]');
  expect(await page.locator('#case-actions [data-action=close-chat]').count()).toBe(0);
  expect(await page.isHidden('#case-chat-part')).toBe(true);
  await page.click('#case-actions [data-action=purge]');
  await page.locator('#purge-count', { hasText: '1 message in 1 chat will be hidden' }).waitFor();
  expect(await page.locator('#purge select[name=scope] option').allTextContents()).toEqual([`only chat ${chat.id}`]);
  // Esc closes the dialog, and nothing was purged.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#purge', { state: 'hidden' });
  expect(await page.isVisible('#case')).toBe(true);
  const history = ok(await emit(author.socket, 'message:history', { chatId: chat.id })).messages;
  expect(asMessages(history).map((m) => m.text)).toEqual(['spam spam spam']);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('a purge from the case about a person decides that case', async () => {
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(reporter, 'group', [author]);
  for (const text of ['one', 'two']) await post(author, chat.id, text);
  await report(reporter, 'user', author.id, 'harassment');

  const { page, errors } = await openConsole(browser(), server.url, moderator);
  await page.goto(`${server.url}/console#/case/${await caseAbout(author.id)}`);
  await page.getByRole('button', { name: 'Purge messages' }).click();
  const purge = page.locator('#purge');
  await purge.getByLabel('Chats').selectOption({ label: 'all chats' });
  await page.locator('#purge-count', { hasText: '2 messages in 1 chat will be hidden' }).waitFor();
  await purge.getByLabel('Reason (required)').fill('Harassment across chats');
  await page.click('#purge-ok');
  await page.locator('#purge-result', { hasText: '2 messages hidden' }).waitFor();
  await page.keyboard.press('Escape');
  await page.waitForSelector('#case-facts .status-actioned');
  await page.locator('#case-log li', { hasText: 'purge_messages' }).waitFor();
  expect(errors).toEqual([]);
  await page.context().close();
});

test("a moderator purges a person's messages: the console shows the dry run's count first, then the job's progress to done", async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author, reporter]);
  const elsewhere = await createChat(owner, 'group', [author, reporter]);
  const posted = [];
  for (const text of ['buy now', 'cheap pills', 'last chance']) posted.push(await post(author, chat.id, text));
  await post(reporter, chat.id, 'please stop');
  await post(author, elsewhere.id, 'buy here too');
  await report(reporter, 'message', posted[0]!.id, 'spam');

  const { page, dialogs, errors } = await openConsole(browser(), server.url, moderator);
  await page.goto(`${server.url}/console#/case/${await caseAbout(posted[0]!.id)}`);
  await page.getByRole('button', { name: 'Purge messages' }).click();
  await page.waitForSelector('#purge[open]');
  const purge = page.locator('#purge');
  const count = page.locator('#purge-count');
  const confirm = page.locator('#purge-ok');

  // Opened on the case's chat: the dry run counts the author's three messages there, and only then may it go.
  await page.waitForSelector('#purge-ok:enabled, #purge-error:not(:empty)');
  expect(await page.textContent('#purge-error')).toBe('');
  await count.filter({ hasText: '3 messages in 1 chat will be hidden' }).waitFor();
  expect(await confirm.isEnabled()).toBe(true);
  expect(await unnamedControls(page, '#purge')).toEqual([]);
  // All chats: four messages in two.
  await purge.getByLabel('Chats').selectOption({ label: 'all chats' });
  await count.filter({ hasText: '4 messages in 2 chats will be hidden' }).waitFor();
  // Nothing before yesterday: nothing to hide, nothing to confirm.
  const yesterday = new Date(Date.now() - 86_400_000);
  const day = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await purge.getByLabel('Until (optional)').fill(day(yesterday));
  await count.filter({ hasText: 'nothing would be hidden' }).waitFor();
  expect(await confirm.isDisabled()).toBe(true);
  await purge.getByLabel('Until (optional)').fill('');
  await purge.getByLabel('Chats').selectOption(chat.id);
  await count.filter({ hasText: '3 messages in 1 chat will be hidden' }).waitFor();

  await purge.getByLabel('Reason (required)').fill('Spam run');
  await confirm.click();
  await page.locator('#purge-result', { hasText: '3 messages hidden' }).waitFor();
  expect(await page.textContent('#purge-result')).not.toContain('could not');
  expect(await confirm.isHidden()).toBe(true);
  await purge.getByRole('button', { name: 'Close', exact: true }).click();
  await page.waitForSelector('#purge', { state: 'hidden' });

  // In history, the author's three messages there are hidden; the reporter's and the other chat's are not.
  const history = ok(await emit(reporter.socket, 'message:history', { chatId: chat.id })).messages;
  for (const message of posted)
    expect(history.find((entry) => entry.id === message.id)).toEqual({
      id: message.id,
      chatId: chat.id,
      seq: message.seq,
      hidden: true,
    });
  expect(history.find((entry) => 'text' in entry && entry.text === 'please stop')).toBeTruthy();
  expect(
    asMessages(ok(await emit(reporter.socket, 'message:history', { chatId: elsewhere.id })).messages).map(
      (m) => m.text,
    ),
  ).toEqual(['buy here too']);
  // The dialog's purge went out as the event's contract has it: the moderator's own count agrees.
  expect(
    await emitRaw(moderator.socket, 'mod:purge', { userId: author.id, reason: 'count', dryRun: true }),
  ).toMatchObject({ ok: true, count: 1, chats: [{ chatId: elsewhere.id, count: 1 }] });

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  await page.context().close();
});
