/**
 * mod:context (the messages around a reported one) and the console by names: queue rows with the chat's
 * title, the author and the reported text; a case with its context, hidden and deleted neighbours marked.
 */

import { AccessEntryModel } from '../models';
import { emit, openConsole, useBrowser, useTestServer } from './support/harness';
import { createChat, ok, person, post, report } from './support/world';

const server = useTestServer();
const browser = useBrowser();

const HOSTILE = '<img src=x onerror=alert(1)>';

async function scene() {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const chatAdmin = await person(server, 'chatadmin');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author, reporter], [chatAdmin]);
  const posted = [];
  for (let i = 1; i <= 14; i++) posted.push(await post(i % 2 ? author : reporter, chat.id, `line ${i}`));
  const target = posted[6]!; // seq 7, the author's
  ok(await emit(moderator.socket, 'mod:hide', { messageId: posted[5]!.id, reason: 'neighbour hidden' }));
  ok(await emit(reporter.socket, 'message:delete', { messageId: posted[7]!.id }));
  await report(reporter, 'message', target.id, 'harassment');
  const caseId = ok(await emit(moderator.socket, 'mod:cases', {})).cases.find((c) => c.targetId === target.id)!.id;
  return { owner, author, reporter, chatAdmin, moderator, chat, posted, target, caseId };
}

test('mod:context: the reported message with 5 before and 5 after, as history shows them to the caller; audited; refused to others', async () => {
  const { author, reporter, chatAdmin, moderator, chat, posted, target, caseId } = await scene();

  const forModerator = ok(await emit(moderator.socket, 'mod:context', { caseId }));
  expect(forModerator.chatId).toBe(chat.id);
  expect(forModerator.seq).toBe(target.seq);
  expect(forModerator.messages.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // Platform moderators see a hidden neighbour in full, marked; a deleted one is a tombstone.
  expect(forModerator.messages.find((m) => m.seq === 6)).toMatchObject({
    text: 'line 6',
    hidden: { reason: 'neighbour hidden' },
  });
  expect(forModerator.messages.find((m) => m.seq === 8)).toEqual({
    id: posted[7]!.id,
    chatId: chat.id,
    seq: 8,
    deleted: true,
  });
  const entries = await AccessEntryModel.find({ actorId: moderator.id, targetId: caseId }).lean();
  expect(entries.map((e) => e.what)).toContain('case_context');

  // The chat's admins read it too, with tombstones for hidden messages; their read is logged as well.
  const forAdmin = ok(await emit(chatAdmin.socket, 'mod:context', { caseId }));
  expect(forAdmin.messages.find((m) => m.seq === 6)).toEqual({
    id: posted[5]!.id,
    chatId: chat.id,
    seq: 6,
    hidden: true,
  });
  expect(await AccessEntryModel.countDocuments({ actorId: chatAdmin.id, targetId: caseId })).toBe(1);

  // The author, a reporter and outsiders may not.
  for (const who of [author, reporter])
    expect(await emit(who.socket, 'mod:context', { caseId })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  // Over HTTP as well.
  const res = await server.http('GET', `/api/moderation/cases/${caseId}/context`, { token: moderator.token });
  expect(res.status).toBe(200);
  expect(res.body.messages).toHaveLength(11);

  // A case about a person has no context.
  await report(reporter, 'user', author.id, 'harassment');
  const userCase = ok(await emit(moderator.socket, 'mod:cases', {})).cases.find((c) => c.targetId === author.id)!;
  expect(await emit(moderator.socket, 'mod:context', { caseId: userCase.id })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });

  // A closed chat: its admins no longer read it, platform moderators still do.
  ok(await emit(moderator.socket, 'mod:chat-close', { chatId: chat.id, category: 'spam', reason: 'spam ring' }));
  expect(await emit(chatAdmin.socket, 'mod:context', { caseId })).toMatchObject({
    ok: false,
    error: { code: 'chat_closed' },
  });
  ok(await emit(moderator.socket, 'mod:context', { caseId }));
});

test('the console by names: a queue row shows the chat title, the author and the quoted text; the case shows its context with hidden and deleted neighbours marked', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const moderator = await person(server, 'mod', 'moderator');
  ok(await emit(author.socket, 'chat:create', { type: 'group', title: 'placeholder' }));
  const chat = ok(await emit(owner.socket, 'chat:create', { type: 'group', title: `Tenants ${HOSTILE}` })).chat;
  for (const who of [author, reporter]) ok(await emit(who.socket, 'chat:join', { chatId: chat.id }));
  const res = await server.http('PATCH', '/api/me', { token: author.token, body: { displayName: `Eve ${HOSTILE}` } });
  expect(res.status).toBe(200);
  await post(reporter, chat.id, 'before it');
  const long = `${HOSTILE} ${'x'.repeat(200)}`;
  const message = await post(author, chat.id, long);
  const after = await post(reporter, chat.id, 'after it');
  ok(await emit(reporter.socket, 'message:delete', { messageId: after.id }));

  const { page, dialogs, errors } = await openConsole(browser(), server.url, moderator);
  await page.waitForSelector('#link-state.up');
  await report(reporter, 'message', message.id, 'hate');
  const row = page.locator(`#queue-rows tr[data-target-id="${message.id}"]`);
  await row.locator('.quote', { hasText: 'xxx' }).waitFor();
  expect(await row.locator('.quote').textContent()).toBe(`“${long.slice(0, 120)}…”`);
  await row.locator('.chat-title', { hasText: `Tenants ${HOSTILE}` }).waitFor();
  await row.locator('.author', { hasText: `Eve ${HOSTILE} (@${author.username})` }).waitFor();
  expect(await row.textContent()).not.toContain(message.id);

  await row.click();
  const reported = page.locator('#case-context li.reported');
  await reported.waitFor();
  expect(await reported.locator('.text').textContent()).toBe(long);
  await page.locator('#case-context li.deleted', { hasText: 'message deleted' }).waitFor();
  await page
    .locator('#case-context li', { hasText: 'before it' })
    .locator('.person', { hasText: `@${reporter.username}` })
    .waitFor();
  await page.locator('#case-facts .person', { hasText: `@${author.username}` }).waitFor();
  await page.locator('#case-facts .chat-title', { hasText: `Tenants ${HOSTILE}` }).waitFor();
  expect(await page.locator('img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  await page.context().close();
});
