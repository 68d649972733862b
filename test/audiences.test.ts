/**
 * Moderation news goes to a computed audience: platform moderators except those concerned, and the
 * chat's admins. When that audience is empty, nobody hears it; Socket.IO, given no room at all,
 * would address every socket. This file's database holds exactly one platform moderator.
 */
import type { ChatView } from '../handlers/contract/protocol';
import { collect, emit, settle, sleep, useTestServer } from './support/harness';
import { createChat, ok, person, post, type Person } from './support/world';

const server = useTestServer();
let owner: Person;
let onlyModerator: Person;
let bystander: Person;
let chat: ChatView;

beforeAll(async () => {
  owner = await person(server, 'owner');
  onlyModerator = await person(server, 'onlymod', 'moderator');
  bystander = await person(server, 'bystander');
  chat = await createChat(owner, 'group', [onlyModerator]);
});

/** Lets the server's emits land, then makes sure each socket has read what came before. */
async function quiet(...people: Person[]): Promise<void> {
  await sleep(200);
  await Promise.all(people.map((p) => settle(p.socket)));
}

test('an action about the only platform moderator reaches the chat admins, in their view, and no bystander', async () => {
  const message = await post(onlyModerator, chat.id, 'a message its chat hides');
  const heard = {
    bystander: collect(bystander.socket, 'mod:action'),
    owner: collect(owner.socket, 'mod:action'),
    moderator: collect(onlyModerator.socket, 'mod:action'),
  };

  ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'off topic' }));
  await quiet(bystander, owner, onlyModerator);

  expect(heard.bystander).toEqual([]);
  expect(heard.moderator).toEqual([]);
  expect(heard.owner).toHaveLength(1);
  expect(heard.owner[0]!.action).toMatchObject({ type: 'hide_message', actorRole: 'chat_admin' });
  expect(heard.owner[0]!.action.actorId).toBeUndefined();
});

test('a report on the only platform moderator reaches nobody live: there is no other moderator to tell', async () => {
  const heard = {
    bystander: collect(bystander.socket, 'report:new'),
    owner: collect(owner.socket, 'report:new'),
    moderator: collect(onlyModerator.socket, 'report:new'),
  };

  ok(
    await emit(owner.socket, 'report:create', { targetType: 'user', targetId: onlyModerator.id, reason: 'harassment' }),
  );
  await quiet(bystander, owner, onlyModerator);

  expect(heard).toEqual({ bystander: [], owner: [], moderator: [] });
});
