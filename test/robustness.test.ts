/** Hostile input to every client event: a documented refusal every time, never `internal`, never a crash. */
import pino from 'pino';

import { socketOperations } from '../server/transport/operations';
import { MessageModel, ModerationActionModel, ReportModel } from '../models';
import { emit, emitRaw, sleep, startTestServer, useTestServer } from './support/harness';
import { createChat, person, type Person } from './support/world';

const server = useTestServer({ RATE_MESSAGES: '100000/10s', RATE_REPORTS: '100000/10s', RATE_JOINS: '100000/10s' });
let user: Person;
let moderator: Person;

beforeAll(async () => {
  user = await person(server, 'fuzzed');
  moderator = await person(server, 'fuzzmod', 'moderator');
  await createChat(user, 'group');
});

const deep = (levels: number): unknown => (levels === 0 ? 'bottom' : { nested: deep(levels - 1) });
const HOSTILE: unknown[] = [
  null,
  42,
  'a string',
  true,
  [],
  [{ chatId: '0123456789abcdef01234567' }],
  {},
  { chatId: { $ne: null }, messageId: { $gt: '' }, userId: { $exists: true }, caseId: { $regex: '.*' } },
  { chatId: '0123456789abcdef01234567', text: { toString: 'x' }, clientMsgId: ['a'] },
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
  { chatId: 'z'.repeat(60_000) },
  deep(200),
  { limit: 1e308, before: -1, after: Number.NaN },
  { targetType: 'message', targetId: '0123456789abcdef01234567', reason: 'spam', comment: '\u0000\uffff' },
];
const DOCUMENTED = ['invalid_input', 'not_found', 'forbidden', 'conflict', 'banned', 'muted'];

test.each([...socketOperations.keys()].map((event) => [event]))(
  '%s answers every hostile payload with a documented refusal',
  async (event) => {
    for (const who of [user, moderator]) {
      for (const payload of HOSTILE) {
        const ack = await emitRaw(who.socket, event, payload);
        if (ack.ok) continue; // e.g. chat:list ignores what it does not need
        expect(DOCUMENTED).toContain(ack.error.code);
      }
      expect(who.socket.connected).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  },
);

test('after all of it the server still serves, and nothing hostile was stored', async () => {
  expect((await emit(user.socket, 'chat:list', {})).ok).toBe(true);
  expect(await MessageModel.countDocuments()).toBe(0);
  expect(await ReportModel.countDocuments()).toBe(0);
  expect(await ModerationActionModel.countDocuments()).toBe(0);
  const metrics = await server.http('GET', '/metrics');
  expect(metrics.body).not.toMatch(/stoa_events_total\{[^}]*outcome="internal"\}/);
});

test.each([
  ['POST', '/api/auth/login', '[]'],
  ['POST', '/api/auth/login', 'null'],
  ['POST', '/api/auth/register', '"text"'],
  ['POST', '/api/moderation/actions', '{"type": {"$ne": null}}'],
  ['PUT', '/api/users/0123456789abcdef01234567/role', '[1,2,3]'],
])('HTTP %s %s with body %s is invalid_input', async (method, urlPath, rawBody) => {
  const res = await server.http(method, urlPath, { rawBody, token: moderator.token });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_input');
});

test('one socket dropping events fills no log: one warning per socket per interval, then a count of the rest', async () => {
  const lines: Array<{ msg: string; suppressed?: number }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const quiet = await startTestServer({}, { log });
  try {
    const account = await quiet.register('noisy');
    const socket = await quiet.connect(account.token);
    const send = socket.emit as (event: string, payload: unknown) => void;
    for (let i = 0; i < 50; i++) send.call(socket, 'no:such:event', { i });
    await emit(socket, 'chat:list', {});
    socket.close();
    await sleep(100);
    const dropped = lines.filter((line) => line.msg === 'event dropped');
    expect(dropped).toHaveLength(1);
    expect(lines.find((line) => line.msg === 'events dropped')?.suppressed).toBe(49);
  } finally {
    await quiet.close();
  }
});
