/**
 * `npm run screenshots`: the README's screenshots of the moderation console (a queue of a few cases, one case in
 * full, and an appeal), saved to server/console/screenshots/. Made as the console's tests run: a real server on
 * port 0 over a fresh embedded database, people and chats from test/support/world.ts, and headless Chromium.
 * npm compiles it first (tsc -p .) and runs dist/scripts/console-screenshots.js.
 */
import path from 'node:path';

import type { Browser } from 'playwright-core';

import { CONSOLE_DIR } from '../server/console';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import {
  dropTestDatabase,
  emit,
  launchBrowser,
  openConsole,
  PASSWORD,
  startTestServer,
  type TestServer,
} from '../test/support/harness';
import { createChat, ok, person, post, report } from '../test/support/world';

const SCREENSHOTS = path.join(CONSOLE_DIR, 'screenshots');
/** The web app's screenshots, beside the documentation. */
const APP_SCREENSHOTS = path.join(CONSOLE_DIR, '..', '..', 'docs');

/** A queue of a few cases, one case in full, and an appeal. */
async function screenshots(server: TestServer, browser: Browser): Promise<void> {
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
    ok(
      await emit(reader.socket, 'report:create', {
        targetType: 'message',
        targetId: scam.id,
        reason: 'scam',
        comment: 'asks for wallet seeds',
      }),
    );
  }
  ok(
    await emit(readers[0]!.socket, 'report:create', {
      targetType: 'message',
      targetId: insult.id,
      reason: 'harassment',
      comment: 'threatening me after I disagreed',
    }),
  );
  ok(await emit(readers[1]!.socket, 'report:create', { targetType: 'message', targetId: insult.id, reason: 'hate' }));
  await report(readers[2]!, 'message', link.id, 'spam');
  await report(readers[0]!, 'user', spammer.id, 'spam');

  const { page } = await openConsole(browser, server.url, moderator, { width: 1000, height: 620 });
  await page.locator('#queue-rows tr').nth(3).waitFor();
  // Away from the rows, so that none is drawn hovered.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'queue.png') });
  await page.locator(`#queue-rows tr[data-target-id="${insult.id}"]`).click();
  await page.locator('#case-history li').first().waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'case.png'), fullPage: true });

  // An author appeals a hide; another moderator opens the appeal.
  const actingModerator = await person(server, 'moderator', 'moderator');
  const joke = await post(readers[1]!, chat.id, 'if you keep posting scams I will find you and report you again');
  const hide = ok(
    await emit(actingModerator.socket, 'mod:hide', { messageId: joke.id, reason: 'reads as a threat' }),
  ).action;
  ok(
    await emit(readers[1]!.socket, 'appeal:create', {
      actionId: hide.id,
      text: 'I meant I would report them again, not a threat. Everyone in the group knows me.',
    }),
  );
  await page.goto(`${server.url}/console#/queue`);
  await page.locator('#appeals-rows tr').first().click();
  await page.locator('#appeal:not([hidden]) #appeal-actions [data-action=reverse]').waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'appeal.png'), fullPage: true });
  await page.context().close();

  // The web app at `/`, phone-sized: a chat, and the report dialog of one of its messages.
  const app = await (await browser.newContext({ viewport: { width: 390, height: 780 } })).newPage();
  await app.goto(server.url);
  await app.getByLabel('Username').fill(readers[2]!.username);
  await app.getByLabel('Password').fill(PASSWORD);
  await app.getByRole('button', { name: 'Sign in' }).click();
  await app.goto(`${server.url}/#/chat/${chat.id}`);
  await app.locator('#messages li', { hasText: 'nobody wants you here' }).waitFor();
  await app.screenshot({ path: path.join(APP_SCREENSHOTS, 'app-chat.png') });
  await app
    .locator('#messages li', { hasText: 'nobody wants you here' })
    .getByRole('button', { name: 'Report' })
    .click();
  await app.getByLabel('Violence or threats').check();
  await app.screenshot({ path: path.join(APP_SCREENSHOTS, 'app-report.png') });
  await app.context().close();
}

async function main(): Promise<void> {
  // The embedded database the tests run on (Jest's global setup), then a server and a browser.
  await globalSetup();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startTestServer();
    browser = await launchBrowser();
    await screenshots(server, browser);
    console.log(`queue.png, case.png and appeal.png saved in ${path.relative(process.cwd(), SCREENSHOTS)}/`);
    console.log(`app-chat.png and app-report.png saved in ${path.relative(process.cwd(), APP_SCREENSHOTS)}/`);
  } finally {
    await browser?.close();
    await server?.close();
    await dropTestDatabase();
    await globalTeardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
