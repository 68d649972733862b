/**
 * How many database round trips a moderator's hide waits for, one after another, counted from the
 * driver's own command events: reads that do not depend on each other go together.
 */
import mongoose from 'mongoose';

import { emit, settle, useTestServer } from './support/harness';
import { createChat, ok, person, post, report } from './support/world';

const server = useTestServer({ RATE_REPORTS: '1000/60s' });

interface Command {
  name: string;
  started: number;
  ended: number;
}

/** Every command the driver sends while `work` runs, with when it started and ended. */
async function commandsDuring(work: () => Promise<unknown>): Promise<Command[]> {
  const client = mongoose.connection.getClient();
  const open = new Map<number, Command>();
  const done: Command[] = [];
  const started = (event: { requestId: number; commandName: string }) =>
    open.set(event.requestId, { name: event.commandName, started: performance.now(), ended: Infinity });
  const ended = (event: { requestId: number }) => {
    const command = open.get(event.requestId);
    if (command) done.push({ ...command, ended: performance.now() });
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', ended);
  client.on('commandFailed', ended);
  try {
    await work();
  } finally {
    client.off('commandStarted', started);
    client.off('commandSucceeded', ended);
    client.off('commandFailed', ended);
  }
  return done;
}

/** The longest chain of commands each of which started only after the one before it had ended. */
function sequentialRoundTrips(commands: Command[]): number {
  const byStart = [...commands].sort((a, b) => a.started - b.started);
  const depth: number[] = [];
  byStart.forEach((command, i) => {
    depth[i] =
      1 +
      Math.max(0, ...byStart.slice(0, i).flatMap((before, j) => (before.ended <= command.started ? [depth[j]!] : [])));
  });
  return Math.max(0, ...depth);
}

test('a chat admin hiding a reported message from the chat waits for at most 8 database round trips one after another', async () => {
  const owner = await person(server, 'owner');
  const [author, reporter] = [await person(server, 'author'), await person(server, 'reporter')];
  const chat = await createChat(owner, 'group', [author, reporter]);
  const message = await post(author, chat.id, 'buy followers');
  await report(reporter, 'message', message.id);
  // The owner's standing in the chat is in the authorization cache, as it is for anyone active.
  await post(owner, chat.id, 'warming up');
  await settle(owner.socket);

  const commands = await commandsDuring(async () =>
    ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'spam' })),
  );
  const sequential = sequentialRoundTrips(commands);
  console.log(`mod:hide: ${commands.length} database commands, ${sequential} one after another`);
  expect(commands.length).toBeGreaterThan(0);
  expect(sequential).toBeLessThanOrEqual(8);
});
