import { MessageModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, ok, person, post, report } from './support/world';

const server = useTestServer();

test('the author edits a message: the chat hears message:edited, history shows the new text, moderators see the old one and the report keeps its evidence', async () => {
  const [ana, bo, moderator] = [
    await person(server, 'ana'),
    await person(server, 'bo'),
    await person(server, 'mod', 'moderator'),
  ];
  const group = await createChat(ana, 'group', [bo]);
  const message = await post(ana, group.id, 'buy cheap pills');
  const filed = await report(bo, 'message', message.id, 'spam');

  const heard = nextEvent(bo.socket, 'message:edited');
  const { message: edited } = ok(
    await emit(ana.socket, 'message:edit', { messageId: message.id, text: 'hello friends' }),
  );
  expect(edited).toMatchObject({
    id: message.id,
    seq: message.seq,
    text: 'hello friends',
    editedAt: expect.any(String),
  });
  expect(edited).not.toHaveProperty('edits');
  expect(await heard).toEqual({ message: edited });
  expect(ok(await emit(bo.socket, 'message:history', { chatId: group.id })).messages).toEqual([edited]);

  const { cases } = ok(await emit(moderator.socket, 'mod:cases', {}));
  const moderationCase = cases.find((c) => c.targetId === message.id)!;
  const shown = ok(await emit(moderator.socket, 'mod:case', { caseId: moderationCase.id }));
  expect(shown.target).toMatchObject({
    type: 'message',
    message: { text: 'hello friends', edits: [{ text: 'buy cheap pills', editedAt: edited.editedAt }] },
  });
  expect(shown.reports).toEqual([
    expect.objectContaining({
      id: filed.id,
      evidence: expect.objectContaining({ text: 'buy cheap pills', seq: message.seq }),
    }),
  ]);
});

test('editing someone else’s message is forbidden: nothing stored, nothing relayed', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(ana, 'group', [bo]);
  const message = await post(ana, group.id, 'mine');
  const heard = collect(ana.socket, 'message:edited');
  expect(await emit(bo.socket, 'message:edit', { messageId: message.id, text: 'yours now' })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
  await settle(ana.socket);
  expect(heard).toEqual([]);
  expect((await MessageModel.findById(message.id))?.toObject()).toMatchObject({ text: 'mine', editedAt: null });
});

test('a message older than EDIT_WINDOW cannot be edited', async () => {
  const ana = await person(server, 'ana');
  const group = await createChat(ana, 'group');
  const message = await post(ana, group.id, 'long ago');
  await MessageModel.updateOne({ _id: message.id }, { $set: { createdAt: new Date(Date.now() - 49 * 3600_000) } });
  const heard = collect(ana.socket, 'message:edited');
  expect(await emit(ana.socket, 'message:edit', { messageId: message.id, text: 'rewritten' })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
  await settle(ana.socket);
  expect(heard).toEqual([]);
  expect((await MessageModel.findById(message.id))?.text).toBe('long ago');
});

test('a hidden or deleted message cannot be edited, by its author either; a muted author cannot edit', async () => {
  const [ana, bo, moderator] = [
    await person(server, 'ana'),
    await person(server, 'bo'),
    await person(server, 'mod', 'moderator'),
  ];
  const group = await createChat(bo, 'group', [ana]);
  const hidden = await post(ana, group.id, 'hidden');
  const deleted = await post(ana, group.id, 'deleted');
  const kept = await post(ana, group.id, 'kept');
  ok(await emit(moderator.socket, 'mod:hide', { messageId: hidden.id, reason: 'spam' }));
  ok(await emit(ana.socket, 'message:delete', { messageId: deleted.id }));
  expect(await emit(ana.socket, 'message:edit', { messageId: hidden.id, text: 'sneaky' })).toMatchObject({
    ok: false,
    error: { code: 'not_found' },
  });
  expect(await emit(ana.socket, 'message:edit', { messageId: deleted.id, text: 'sneaky' })).toMatchObject({
    ok: false,
    error: { code: 'not_found' },
  });
  ok(await emit(bo.socket, 'mod:mute', { userId: ana.id, chatId: group.id, reason: 'cool off' }));
  expect(await emit(ana.socket, 'message:edit', { messageId: kept.id, text: 'sneaky' })).toMatchObject({
    ok: false,
    error: { code: 'muted' },
  });
  expect(await MessageModel.countDocuments({ chatId: group.id, text: 'sneaky' })).toBe(0);
  expect(await emit(ana.socket, 'message:edit', { messageId: 'not-an-id', text: 'x' })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
});
