/**
 * The moderation console in a real browser (headless Chromium) against a real server:
 * sign-in, the live queue, a case's evidence, a hide from the console, an appeal decided from the console,
 * the audit log and operations.
 * The README's screenshots are made by `npm run screenshots` (scripts/console-screenshots.ts), not by a test.
 */
import type { Page } from 'playwright-core';

import { ModerationCaseModel } from '../models';
import { emit, nextEvent, openConsole, sleep, useBrowser, useTestServer } from './support/harness';
import { createChat, ok, person, post, report, type Person } from './support/world';

const server = useTestServer();
const browser = useBrowser();

/** Polls what the page shows until `done` holds (the page's CSP forbids waitForFunction's eval). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

async function confirmWith(page: Page, reason: string): Promise<void> {
  await page.waitForSelector('#confirm[open]');
  await page.fill('#confirm textarea[name=reason]', reason);
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm', { state: 'hidden' });
}

test('/console is served with a strict Content-Security-Policy, nosniff and revalidation', async () => {
  const page = await server.http('GET', '/console');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('cache-control')).toBe('no-cache');

  const script = await server.http('GET', '/console/app.js');
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toMatch(/javascript/);
  expect(script.headers.get('content-security-policy')).toBe(csp);
  expect((await server.http('GET', '/console/no-such-file.js')).status).toBe(404);
});

test('a plain user who signs in sees only the not-a-moderator page', async () => {
  const plain = await person(server, 'plain');
  const { page, errors } = await openConsole(browser(), server.url, plain);
  expect(await page.isVisible('#forbidden')).toBe(true);
  expect(await page.textContent('#forbidden h1')).toBe('You are not a moderator');
  for (const view of ['#queue', '#case', '#log', '#ops', '#bar']) expect(await page.isHidden(view)).toBe(true);
  // Asking for a view by its address changes nothing.
  await page.goto(`${server.url}/console#/log`);
  await page.waitForSelector('#forbidden:not([hidden])');
  expect(await page.isHidden('#log')).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('a report shows up in an open console live; the moderator reads the evidence as text, hides it, and the audit log shows it', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author, reporter]);
  const hostile = '<img src=x onerror=alert(1)>';
  const message = await post(author, chat.id, hostile);

  const { page, dialogs, errors, websockets } = await openConsole(browser(), server.url, moderator);
  await page.waitForSelector('#link-state.up');
  // The socket runs over a websocket, which the policy's connect-src 'self' allows.
  expect(websockets).toContainEqual(
    expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?.*transport=websocket/),
  );
  await page.evaluate('window.stillTheSamePage = true');

  const reportedAt = Date.now();
  const filed = await report(reporter, 'message', message.id, 'harassment');
  const row = page.locator(`#queue-rows tr[data-target-id="${message.id}"]`);
  await row.waitFor();
  const reportToVisibleMs = Date.now() - reportedAt;
  expect(reportToVisibleMs).toBeLessThan(2000);
  expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
  const openBefore = Number(/^\((\d+)\) Stoa console$/.exec(await page.title())?.[1]);
  expect(openBefore).toBeGreaterThan(0);

  await row.click();
  await page.waitForSelector('#case:not([hidden]) .evidence');
  expect(await page.locator('#case-reports .evidence').first().textContent()).toBe(hostile);
  expect(await page.locator('#case-target .text').textContent()).toBe(hostile);
  expect(await page.locator('#case img').count()).toBe(0);
  // Platform moderators see who reported, by name; the comment-less report shows its reason.
  await page.locator('#case-reports .reporter', { hasText: `@${reporter.username}` }).waitFor();
  expect(await page.textContent('#case-reports')).toContain('harassment');
  expect(filed.id).toBeTruthy();

  const hidden = nextEvent(reporter.socket, 'message:hidden', 5000);
  await page.keyboard.press('h');
  await confirmWith(page, 'targeted harassment');
  expect(await hidden).toEqual({ chatId: chat.id, messageId: message.id, seq: message.seq });
  await page.waitForSelector('#case-facts .status-actioned');
  // The hide closed the case: the open count in the title follows, without a reload.
  expect(
    await until(
      () => page.title(),
      (title) => title === `(${openBefore - 1}) Stoa console`,
    ),
  ).toBe(`(${openBefore - 1}) Stoa console`);
  await page.waitForSelector('#case-actions [data-action=unhide]');
  await page.locator('#case-log li', { hasText: 'hide_message' }).waitFor();

  await page.click('a[href="#/log"]');
  const entry = page.locator(`#log-rows tr[data-target-id="${message.id}"]`);
  await entry.waitFor();
  expect(await entry.textContent()).toContain('hide_message');
  expect(await entry.textContent()).toContain('targeted harassment');
  // Who acted, by name.
  await entry.locator('.person', { hasText: `@${moderator.username}` }).waitFor();

  // The session survives a reload; the token is never in the address.
  await page.reload();
  await page.waitForSelector('#log:not([hidden])');
  expect(page.url()).not.toContain(moderator.token.slice(0, 20));
  await page.click('#logout');
  await page.waitForSelector('#signin:not([hidden])');
  expect(await page.evaluate('sessionStorage.length')).toBe(0);

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  await page.context().close();
});

test("a chat admin reviews their chat's case without the reporter, and sees the server refuse to undo a moderator's hide", async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const reporter = await person(server, 'reporter');
  const chatAdmin = await person(server, 'chatadmin');
  const chat = await createChat(owner, 'group', [author, reporter], [chatAdmin]);
  const message = await post(author, chat.id, 'buy cheap followers');
  await report(reporter, 'message', message.id, 'spam');
  const moderator = await person(server, 'mod', 'moderator');
  ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'spam wave' }));

  // A chat admin sees the case of their chat, without the reporter, and cannot undo a moderator's hide.
  const { page, errors } = await openConsole(browser(), server.url, chatAdmin);
  await page.goto(`${server.url}/console#/case/${await caseIdOf(chatAdmin, message.id)}`);
  await page.waitForSelector('#case:not([hidden]) .evidence');
  expect(await page.textContent('#case-reports')).not.toContain(reporter.id);
  expect(await page.textContent('#case-reports')).not.toContain(reporter.username);
  expect(await page.isHidden('#case-actions [data-action=suspend]')).toBe(true);
  await page.click('#case-actions [data-action=unhide]');
  await page.fill('#confirm textarea[name=reason]', 'looks fine');
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm-error:not(:empty)');
  expect(await page.textContent('#confirm-error')).toContain('forbidden');
  expect(errors).toEqual([]);
  await page.context().close();
});

test('an appeal shows up in an open console live; the moderator reads it as text and reverses it, the appellant hears it and the message reappears', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const member = await person(server, 'member');
  const actingModerator = await person(server, 'mod', 'moderator');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author, member]);
  const message = await post(author, chat.id, 'a joke, taken badly');
  ok(await emit(member.socket, 'report:create', { targetType: 'message', targetId: message.id, reason: 'violence' }));
  const caseId = (await ModerationCaseModel.findOne({ targetId: message.id }).lean())!._id.toString();
  const hide = ok(
    await emit(actingModerator.socket, 'mod:hide', { messageId: message.id, reason: 'looks like a threat', caseId }),
  ).action;

  const { page, dialogs, errors } = await openConsole(browser(), server.url, moderator);
  await page.waitForSelector('#link-state.up');
  // The queue has loaded: what arrives from now on arrives live.
  await until(
    () => page.textContent('#open-count'),
    (count) => Boolean(count),
  );
  await page.evaluate('window.stillTheSamePage = true');

  const hostile = '<img src=x onerror=alert(1)> it was a line from a film';
  const appeal = ok(await emit(author.socket, 'appeal:create', { actionId: hide.id, text: hostile })).appeal;
  const row = page.locator(`#appeals-rows tr[data-appeal-id="${appeal.id}"]`);
  await row.waitFor();
  expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
  expect(await row.textContent()).toContain('hide_message');

  await row.click();
  await page.waitForSelector('#appeal:not([hidden]) #appeal-actions [data-action=reverse]');
  expect(await page.textContent('#appeal-text .text')).toBe(hostile);
  expect(await page.locator('#appeal img').count()).toBe(0);
  // By name: who acted, where, and who appeals.
  await page.locator('#appeal-action .person', { hasText: `@${actingModerator.username}` }).waitFor();
  await page.locator('#appeal-action .chat-title', { hasText: chat.title }).waitFor();
  const appealed = await page.textContent('#appeal-action');
  for (const shown of ['hide_message', 'looks like a threat']) expect(appealed).toContain(shown);
  await page.locator('#appeal-facts .person', { hasText: `@${author.username}` }).waitFor();
  // The case the hide decided is one click away; the message itself shows as it is now, hidden.
  expect(await page.getAttribute('#appeal-action [data-case-link]', 'href')).toBe(`#/case/${caseId}`);
  expect(await page.textContent('#appeal-target .text')).toBe('a joke, taken badly');
  expect(await page.textContent('#appeal-target .flag')).toContain('looks like a threat');
  expect(await page.isVisible('#appeal-actions [data-action=uphold]')).toBe(true);

  const unhidden = nextEvent(member.socket, 'message:unhidden', 5000);
  const decided = nextEvent(author.socket, 'appeal:decided', 5000);
  await page.click('#appeal-actions [data-action=reverse]');
  // Without a reason nothing is sent: the dialog stays open.
  await page.click('#confirm-ok');
  expect(await page.isVisible('#confirm[open]')).toBe(true);
  await confirmWith(page, 'a quotation, not a threat');

  expect((await decided).appeal).toMatchObject({
    id: appeal.id,
    status: 'reversed',
    decisionReason: 'a quotation, not a threat',
  });
  expect((await unhidden).message).toMatchObject({ id: message.id, text: 'a joke, taken badly' });
  // Back in the queue, the appeal has left the open list.
  await page.waitForSelector('#queue:not([hidden])');
  expect(
    await until(
      () => row.count(),
      (n) => n === 0,
    ),
  ).toBe(0);
  expect(ok(await emit(moderator.socket, 'mod:appeals', { status: 'open' })).appeals.map((a) => a.id)).not.toContain(
    appeal.id,
  );
  expect(await page.evaluate('window.stillTheSamePage')).toBe(true);

  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('an appeal decided by another moderator while the console asks for a reason: the server refuses the second decision and the console says so', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const actingModerator = await person(server, 'mod', 'moderator');
  const otherModerator = await person(server, 'mod', 'moderator');
  const moderator = await person(server, 'mod', 'moderator');
  const chat = await createChat(owner, 'group', [author]);
  const ban = ok(
    await emit(actingModerator.socket, 'mod:ban', { userId: author.id, chatId: chat.id, reason: 'off topic' }),
  ).action;
  const appeal = ok(await emit(author.socket, 'appeal:create', { actionId: ban.id, text: 'I was on topic' })).appeal;

  const { page, errors } = await openConsole(browser(), server.url, moderator);
  await page.goto(`${server.url}/console#/appeal/${appeal.id}`);
  await page.waitForSelector('#appeal:not([hidden]) #appeal-actions [data-action=uphold]');
  expect(await page.textContent('#appeal-text')).toBe('I was on topic');
  await page.click('#appeal-actions [data-action=uphold]');
  await page.fill('#confirm textarea[name=reason]', 'it was off topic');

  ok(
    await emit(otherModerator.socket, 'mod:appeal-decide', {
      appealId: appeal.id,
      outcome: 'reversed',
      reason: 'on topic after all',
    }),
  );
  // The decision reaches the console live: the appeal on screen shows it.
  await page.locator('#appeal-actions', { hasText: 'Decided: reversed' }).waitFor();
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm-error:not(:empty)');
  expect(await page.textContent('#confirm-error')).toBe('That appeal is already decided. (conflict)');
  await page.click('#confirm-cancel');
  expect(await page.isHidden('#appeal-actions [data-action=uphold]')).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

/** The case about a message, open or closed (a moderator's hide closes it). */
async function caseIdOf(who: Person, messageId: string): Promise<string> {
  const { cases } = ok(await emit(who.socket, 'mod:cases', {}));
  const found = cases.find((c) => c.targetId === messageId);
  if (!found) throw new Error('no case');
  return found.id;
}

test('the operations page shows the refusals of a burst and the blocked key', async () => {
  const admin = await person(server, 'admin', 'admin');
  const flooder = await person(server, 'flooder');
  const chat = await createChat(flooder, 'group');

  const { page, errors } = await openConsole(browser(), server.url, admin);
  await page.click('a[href="#/ops"]');
  await page.waitForSelector('#ops-rows tr[data-limiter=messages]');
  const refusalsBefore = Number(await page.textContent('#ops-rows tr[data-limiter=messages] .refusals'));

  const sends = await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      emit(flooder.socket, 'message:send', { chatId: chat.id, text: `burst ${i}`, clientMsgId: `burst-${i}` }),
    ),
  );
  const refused = sends.filter((ack) => !ack.ok).length;
  expect(refused).toBeGreaterThan(0);

  const row = page.locator('#ops-rows tr[data-limiter=messages]');
  // The table refreshes itself every two seconds.
  await until(
    async () => Number(await row.locator('.refusals').textContent()),
    (refusals) => refusals >= refusalsBefore + refused,
  );
  expect(await row.textContent()).toContain(flooder.id);
  // The chart draws one line per series once two samples are in.
  await page.waitForSelector('#ops-chart polyline');
  // The transparency figures of the last 30 days sit above the limits.
  expect(await page.textContent('#ops-transparency')).toMatch(/Appeals\d* filed, \d+ upheld, \d+ reversed/);
  expect(errors).toEqual([]);
  await page.context().close();
});
