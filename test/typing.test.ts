import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, ok, person } from './support/world';

const TYPING_LIMIT = 3;
const server = useTestServer({ RATE_TYPING: `${TYPING_LIMIT}/10s` });

test('a group member who starts typing is announced to the group, and nothing is stored', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(ana, 'group', [bo]);
  const heard = nextEvent(bo.socket, 'typing');
  ok(await emit(ana.socket, 'typing:start', { chatId: group.id }));
  expect(await heard).toEqual({ chatId: group.id, userId: ana.id });
  expect(ok(await emit(bo.socket, 'message:history', { chatId: group.id })).messages).toEqual([]);
});

test('channels show no typing, and outsiders of a private chat learn nothing', async () => {
  const [owner, subscriber, outsider] = [
    await person(server, 'owner'),
    await person(server, 'sub'),
    await person(server, 'out'),
  ];
  const channel = await createChat(owner, 'channel', [subscriber]);
  expect(await emit(owner.socket, 'typing:start', { chatId: channel.id })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
  expect(await emit(subscriber.socket, 'typing:start', { chatId: channel.id })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
  const secret = ok(
    await emit(owner.socket, 'chat:create', { type: 'group', title: 'secret', visibility: 'private' }),
  ).chat;
  expect(await emit(outsider.socket, 'typing:start', { chatId: secret.id })).toMatchObject({
    ok: false,
    error: { code: 'not_found' },
  });
});

test('typing in a chat I am not in, or am muted in, is refused and relayed to nobody', async () => {
  const [owner, muted, passer] = [
    await person(server, 'owner'),
    await person(server, 'muted'),
    await person(server, 'passer'),
  ];
  const group = await createChat(owner, 'group', [muted]);
  ok(await emit(owner.socket, 'mod:mute', { userId: muted.id, chatId: group.id, reason: 'noise' }));
  const heard = collect(owner.socket, 'typing');
  expect(await emit(muted.socket, 'typing:start', { chatId: group.id })).toMatchObject({
    ok: false,
    error: { code: 'muted' },
  });
  expect(await emit(passer.socket, 'typing:start', { chatId: group.id })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
  await settle(owner.socket);
  expect(heard).toEqual([]);
});

test('typing is limited per user (RATE_TYPING): past the limit it is refused with retryAfterMs', async () => {
  const ana = await person(server, 'ana');
  const group = await createChat(ana, 'group');
  for (let i = 0; i < TYPING_LIMIT; i++) ok(await emit(ana.socket, 'typing:start', { chatId: group.id }));
  const refused = await emit(ana.socket, 'typing:start', { chatId: group.id });
  expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
});
