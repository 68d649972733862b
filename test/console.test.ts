/**
 * The moderation console in a real browser (headless Chromium) against a real server:
 * sign-in, the live queue, a case's evidence, a hide from the console, an appeal decided from the console,
 * the audit log and operations.
 * STOA_CONSOLE_SCREENSHOTS=1 also saves the README's screenshots to server/console/screenshots/.
 */
import path from 'node:path';

import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

import { ModerationCaseModel } from '../models';
import { dropTestDatabase, emit, nextEvent, sleep, startTestServer, type TestServer } from './support/harness';
import { createChat, ok, person, post, report, type Person } from './support/world';

const PASSWORD = 'correct horse';
const SCREENSHOTS = process.env.STOA_CONSOLE_SCREENSHOTS ? path.join(__dirname, '..', 'server', 'console', 'screenshots') : undefined;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  // --single-process suits the serverless hosts the package targets, but closing a context there ends the browser.
  const args = chromium.args.filter((arg) => arg !== '--single-process');
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await dropTestDatabase();
});

interface ConsolePage {
  page: Page;
  /** Messages of alert/confirm/prompt dialogs the page opened: user data must never run. */
  dialogs: string[];
  /** Console errors, Content-Security-Policy violations among them. */
  errors: string[];
  /** Addresses of the websockets the page opened. */
  websockets: string[];
}

/** A fresh browser profile on /console, signed in as `who`. */
async function openConsole(who: Person, viewport = { width: 1100, height: 760 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  const websockets: string[] = [];
  page.on('websocket', (socket) => websockets.push(socket.url()));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/console`);
  await page.fill('#signin-form input[name=username]', who.username);
  await page.fill('#signin-form input[name=password]', PASSWORD);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#queue:not([hidden]), #forbidden:not([hidden])');
  return { page, dialogs, errors, websockets };
}

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
  const { page, errors } = await openConsole(plain);
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

  const { page, dialogs, errors, websockets } = await openConsole(moderator);
  await page.waitForSelector('#link-state.up');
  // The socket runs over a websocket, which the policy's connect-src 'self' allows.
  expect(websockets).toContainEqual(expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?.*transport=websocket/));
  await page.evaluate('window.stillTheSamePage = true');

  const reportedAt = Date.now();
  const filed = await report(reporter, 'message', message.id, 'harassment');
  const row = page.locator(`#queue-rows tr`, { hasText: message.id });
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
  // Platform moderators see who reported; the comment-less report shows its reason.
  expect(await page.textContent('#case-reports')).toContain(reporter.id);
  expect(await page.textContent('#case-reports')).toContain('harassment');
  expect(filed.id).toBeTruthy();

  const hidden = nextEvent(reporter.socket, 'message:hidden', 5000);
  await page.keyboard.press('h');
  await confirmWith(page, 'targeted harassment');
  expect(await hidden).toEqual({ chatId: chat.id, messageId: message.id, seq: message.seq });
  await page.waitForSelector('#case-facts .status-actioned');
  // The hide closed the case: the open count in the title follows, without a reload.
  expect(await until(() => page.title(), (title) => title === `(${openBefore - 1}) Stoa console`)).toBe(`(${openBefore - 1}) Stoa console`);
  await page.waitForSelector('#case-actions [data-action=unhide]');
  await page.locator('#case-log li', { hasText: 'hide_message' }).waitFor();

  await page.click('a[href="#/log"]');
  const entry = page.locator('#log-rows tr', { hasText: message.id });
  await entry.waitFor();
  expect(await entry.textContent()).toContain('hide_message');
  expect(await entry.textContent()).toContain('targeted harassment');
  expect(await entry.textContent()).toContain(moderator.id);

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
  const { page, errors } = await openConsole(chatAdmin);
  await page.goto(`${server.url}/console#/case/${await caseIdOf(chatAdmin, message.id)}`);
  await page.waitForSelector('#case:not([hidden]) .evidence');
  expect(await page.textContent('#case-reports')).not.toContain(reporter.id);
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
  const hide = ok(await emit(actingModerator.socket, 'mod:hide', { messageId: message.id, reason: 'looks like a threat', caseId })).action;

  const { page, dialogs, errors } = await openConsole(moderator);
  await page.waitForSelector('#link-state.up');
  // The queue has loaded: what arrives from now on arrives live.
  await until(() => page.textContent('#open-count'), (count) => Boolean(count));
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
  const appealed = await page.textContent('#appeal-action');
  for (const shown of ['hide_message', 'looks like a threat', actingModerator.id, message.id]) expect(appealed).toContain(shown);
  expect(await page.textContent('#appeal-facts')).toContain(author.id);
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

  expect((await decided).appeal).toMatchObject({ id: appeal.id, status: 'reversed', decisionReason: 'a quotation, not a threat' });
  expect((await unhidden).message).toMatchObject({ id: message.id, text: 'a joke, taken badly' });
  // Back in the queue, the appeal has left the open list.
  await page.waitForSelector('#queue:not([hidden])');
  expect(await until(() => row.count(), (n) => n === 0)).toBe(0);
  expect(ok(await emit(moderator.socket, 'mod:appeals', { status: 'open' })).appeals.map((a) => a.id)).not.toContain(appeal.id);
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
  const ban = ok(await emit(actingModerator.socket, 'mod:ban', { userId: author.id, chatId: chat.id, reason: 'off topic' })).action;
  const appeal = ok(await emit(author.socket, 'appeal:create', { actionId: ban.id, text: 'I was on topic' })).appeal;

  const { page, errors } = await openConsole(moderator);
  await page.goto(`${server.url}/console#/appeal/${appeal.id}`);
  await page.waitForSelector('#appeal:not([hidden]) #appeal-actions [data-action=uphold]');
  expect(await page.textContent('#appeal-text')).toBe('I was on topic');
  await page.click('#appeal-actions [data-action=uphold]');
  await page.fill('#confirm textarea[name=reason]', 'it was off topic');

  ok(await emit(otherModerator.socket, 'mod:appeal-decide', { appealId: appeal.id, outcome: 'reversed', reason: 'on topic after all' }));
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

async function caseIdOf(who: Person, messageId: string): Promise<string> {
  const { cases } = ok(await emit(who.socket, 'mod:cases', { status: 'open' }));
  const found = cases.find((c) => c.targetId === messageId);
  if (!found) throw new Error('no case');
  return found.id;
}

test('the operations page shows the refusals of a burst and the blocked key', async () => {
  const admin = await person(server, 'admin', 'admin');
  const flooder = await person(server, 'flooder');
  const chat = await createChat(flooder, 'group');

  const { page, errors } = await openConsole(admin);
  await page.click('a[href="#/ops"]');
  await page.waitForSelector('#ops-rows tr[data-limiter=messages]');
  const refusalsBefore = Number(await page.textContent('#ops-rows tr[data-limiter=messages] .refusals'));

  const sends = await Promise.all(Array.from({ length: 25 }, (_, i) =>
    emit(flooder.socket, 'message:send', { chatId: chat.id, text: `burst ${i}`, clientMsgId: `burst-${i}` })));
  const refused = sends.filter((ack) => !ack.ok).length;
  expect(refused).toBeGreaterThan(0);

  const row = page.locator('#ops-rows tr[data-limiter=messages]');
  // The table refreshes itself every two seconds.
  await until(async () => Number(await row.locator('.refusals').textContent()), (refusals) => refusals >= refusalsBefore + refused);
  expect(await row.textContent()).toContain(flooder.id);
  // The chart draws one line per series once two samples are in.
  await page.waitForSelector('#ops-chart polyline');
  // The transparency figures of the last 30 days sit above the limits.
  expect(await page.textContent('#ops-transparency')).toMatch(/Appeals\d* filed, \d+ upheld, \d+ reversed/);
  expect(errors).toEqual([]);
  await page.context().close();
});

// The README's screenshots: a queue of a few cases, one case in full, and an appeal.
if (SCREENSHOTS) {
  test('screenshots of the queue, of a case and of an appeal', async () => {
    const owner = await person(server, 'maria');
    const spammer = await person(server, 'deals4u');
    const troll = await person(server, 'night_owl');
    const readers = [await person(server, 'ana'), await person(server, 'tomas'), await person(server, 'li')];
    const moderator = await person(server, 'moderator', 'moderator');
    const chat = await createChat(owner, 'group', [spammer, troll, ...readers]);
    const scam = await post(spammer, chat.id, 'Double your bitcoin in 24h!!! DM me your wallet seed, limited offer');
    const insult = await post(troll, chat.id, 'nobody wants you here, leave or else');
    const link = await post(spammer, chat.id, 'cheap followers at example.invalid/buy');
    for (const reader of readers) {
      ok(await emit(reader.socket, 'report:create', { targetType: 'message', targetId: scam.id, reason: 'scam', comment: 'asks for wallet seeds' }));
    }
    ok(await emit(readers[0]!.socket, 'report:create', { targetType: 'message', targetId: insult.id, reason: 'harassment', comment: 'threatening me after I disagreed' }));
    ok(await emit(readers[1]!.socket, 'report:create', { targetType: 'message', targetId: insult.id, reason: 'hate' }));
    await report(readers[2]!, 'message', link.id, 'spam');
    await report(readers[0]!, 'user', spammer.id, 'spam');

    const { page } = await openConsole(moderator, { width: 1000, height: 620 });
    await page.locator('#queue-rows tr').nth(3).waitFor();
    // Away from the rows, so that none is drawn hovered.
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'queue.png') });
    await page.locator('#queue-rows tr', { hasText: insult.id }).click();
    await page.locator('#case-history li').first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'case.png'), fullPage: true });

    // An author appeals a hide; another moderator opens the appeal.
    const actingModerator = await person(server, 'moderator', 'moderator');
    const joke = await post(readers[1]!, chat.id, 'if you keep posting scams I will find you and report you again');
    const hide = ok(await emit(actingModerator.socket, 'mod:hide', { messageId: joke.id, reason: 'reads as a threat' })).action;
    ok(await emit(readers[1]!.socket, 'appeal:create', { actionId: hide.id, text: 'I meant I would report them again, not a threat. Everyone in the group knows me.' }));
    await page.goto(`${server.url}/console#/queue`);
    await page.locator('#appeals-rows tr').first().click();
    await page.locator('#appeal:not([hidden]) #appeal-actions [data-action=reverse]').waitFor();
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'appeal.png'), fullPage: true });
    await page.context().close();
  });
}
