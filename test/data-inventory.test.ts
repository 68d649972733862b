/** What Stoa stores, said once: the inventory follows the models, and holds no address or device data. */
import { inventoryGaps, modelFields } from '../handlers/data-inventory';
import { useTestServer } from './support/harness';

const server = useTestServer();

test('GET /api/data-inventory lists every personal field with its category, retention and readers, to anyone', async () => {
  const { status, body } = await server.http('GET', '/api/data-inventory');
  expect(status).toBe(200);
  expect(body.notStored).toEqual(expect.arrayContaining([expect.stringMatching(/^IP addresses/)]));
  const field = (collection: string, name: string) =>
    body.fields.find((f: { collection: string; field: string }) => f.collection === collection && f.field === name);
  expect(field('messages', 'text')).toMatchObject({ category: 'content', readableBy: expect.any(Array) });
  expect(field('users', 'username')).toMatchObject({ category: 'subscriber' });
  expect(field('memberships', 'joinedAt')).toMatchObject({ category: 'traffic' });
  expect(field('moderationactions', 'reason')).toMatchObject({ category: 'moderation' });
  // A password hash is stored, but it is about no one's identity: technical, never disclosed.
  expect(field('users', 'passwordHash')).toBeUndefined();
  expect(body.technical.users).toContain('passwordHash');
  for (const f of body.fields) expect(['subscriber', 'content', 'traffic', 'moderation']).toContain(f.category);
});

test('every field of every model is classified, and the inventory names no field the models lost', () => {
  expect(inventoryGaps()).toEqual({ unclassified: [], stale: [] });
});

test('no model stores an address, a device or a connection', () => {
  const suspicious = modelFields().flatMap(({ collection, fields }) =>
    fields
      .filter((f) =>
        /^(ip|ips|address|device|phone|email|location)|(Ip|Address|Device|Agent|Phone|Email|Location)$/.test(f),
      )
      .map((f) => `${collection}.${f}`),
  );
  expect(suspicious).toEqual([]);
});
