/**
 * Names and titles that could pass for someone else's, and text that storage would change,
 * are refused with `invalid_input` naming the field once; nothing is stored.
 */
import { ChatModel, MessageModel, UserModel } from '../models';
import { emit, useTestServer } from './support/harness';
import { asMessages, createChat, person, type Person } from './support/world';

const server = useTestServer();
let owner: Person;
let chatId: string;

beforeAll(async () => {
  owner = await person(server, 'inputs');
  chatId = (await createChat(owner, 'group')).id;
});

const DECEPTIVE: Array<[string, string]> = [
  ['a control character', 'ad\u0007min'],
  ['a right-to-left override', 'moderator\u202Etxt.exe'],
  ['a bidi isolate', 'mod\u2067erator'],
  ['a zero-width space', 'ad\u200Bmin'],
  ['a zero-width joiner', 'ad\u200Dmin'],
  ['a zero-width no-break space', 'ad\uFEFFmin'],
];

describe.each(DECEPTIVE)('a name with %s', (_what, value) => {
  test('is refused as a displayName at registration', async () => {
    const res = await server.http('POST', '/api/auth/register', {
      body: { username: `dn_${Date.now() % 1e6}`, password: 'long enough', displayName: value },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'invalid_input',
      message: 'displayName: must not contain control, bidirectional or zero-width characters',
    });
    expect(await UserModel.countDocuments({ displayName: value })).toBe(0);
  });

  test('is refused as a chat title and as a description', async () => {
    const created = await emit(owner.socket, 'chat:create', { type: 'group', title: value });
    expect(created).toEqual({
      ok: false,
      error: {
        code: 'invalid_input',
        message: 'title: must not contain control, bidirectional or zero-width characters',
      },
    });
    const updated = await emit(owner.socket, 'chat:update', { chatId, description: `about ${value}` });
    expect(updated.ok).toBe(false);
    if (!updated.ok)
      expect(updated.error.message).toBe(
        'description: must not contain control, bidirectional or zero-width characters',
      );
    expect(await ChatModel.countDocuments({ title: value })).toBe(0);
  });
});

test('a description may have line breaks', async () => {
  const updated = await emit(owner.socket, 'chat:update', { chatId, description: 'rules:\n1. be kind\n2. no spam' });
  expect(updated).toMatchObject({ ok: true, chat: { description: 'rules:\n1. be kind\n2. no spam' } });
});

test('a message with a lone surrogate is refused; a real emoji (a surrogate pair) is stored as sent', async () => {
  const lone = await emit(owner.socket, 'message:send', { chatId, text: 'broken \uD800 text', clientMsgId: 'lone' });
  expect(lone).toEqual({
    ok: false,
    error: { code: 'invalid_input', message: 'text: must be valid Unicode (no unpaired surrogates)' },
  });
  expect(await MessageModel.countDocuments({ clientMsgId: 'lone' })).toBe(0);

  const emoji = await emit(owner.socket, 'message:send', { chatId, text: 'party \uD83C\uDF89', clientMsgId: 'emoji' });
  expect(emoji).toMatchObject({ ok: true, message: { text: 'party \uD83C\uDF89' } });
  const history = await emit(owner.socket, 'message:history', { chatId });
  expect(history.ok && asMessages(history.messages).map((m) => m.text)).toEqual(['party \uD83C\uDF89']);
});

test('an error names its field once', async () => {
  const tooLong = await emit(owner.socket, 'message:send', { chatId, text: 'x'.repeat(4001), clientMsgId: 'long' });
  expect(tooLong).toEqual({
    ok: false,
    error: { code: 'invalid_input', message: 'text: must be at most 4000 characters' },
  });
  const badId = await emit(owner.socket, 'message:history', { chatId: 'nope' });
  expect(badId).toEqual({ ok: false, error: { code: 'invalid_input', message: 'chatId: must be an id' } });
  const badName = await server.http('POST', '/api/auth/login', {
    body: { username: 'no spaces allowed', password: 'long enough' },
  });
  expect(badName.body.error.message).toBe('username: must be 3-32 letters, digits or _');
});
