/**
 * Each record's `access`, checked once by `invoke` after validation, the limiter and the account:
 * `staff` operations are for platform moderators and admins, `admin` operations for platform admins.
 */
import { operations, type Operation } from '../server/transport/operations';
import { emitRaw, useTestServer } from './support/harness';
import { person, type Person } from './support/world';

const server = useTestServer();

/** An id nothing has: the gate refuses before anything is looked up. */
const NOBODY = '5f0000000000000000000002';

/** A valid input for every gated operation; a new one needs its line here. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  setRole: { userId: NOBODY, role: 'moderator' },
  rateLimits: {},
  listAppeals: {},
  getAppeal: { appealId: NOBODY },
  decideAppeal: { appealId: NOBODY, outcome: 'upheld', reason: 'fine as it was' },
  transparencyReport: {},
  exportStatements: {},
  legalRequestsCsv: {},
  addUserNote: { userId: NOBODY, text: 'a note' },
  userNotes: { userId: NOBODY },
  accessLog: {},
  listEvidence: { actionId: NOBODY },
  evidencePackage: { actionId: NOBODY },
};

const gated = operations.filter((operation) => operation.access === 'staff' || operation.access === 'admin');

/** Calls an operation as `who`, by its event if it has one, else by its route; resolves with the error, if any. */
async function call(
  who: Person,
  operation: Operation,
  input: Record<string, unknown>,
): Promise<{ code: string; message: string } | undefined> {
  if (operation.event) return (await emitRaw(who.socket, operation.event, input)).error;
  const route = operation.http!;
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => String(input[name]));
  const query = route.from === 'query' ? `?${new URLSearchParams(input as Record<string, string>)}` : '';
  const res = await server.http(route.method.toUpperCase(), path + query, {
    token: who.token,
    body: route.from === 'body' ? input : undefined,
  });
  return res.body?.error;
}

const STAFF_ONLY = { code: 'forbidden', message: 'Only platform moderators and admins may do that.' };
const ADMINS_ONLY = { code: 'forbidden', message: 'Only platform admins may do that.' };

test('every gated operation has a sample input', () => {
  expect(gated.map((operation) => operation.name).sort()).toEqual(Object.keys(SAMPLES).sort());
});

test('staff and admin operations refuse a user and a trusted flagger forbidden, before their handler looks anything up', async () => {
  const user = await person(server, 'user');
  const flagger = await person(server, 'flagger', 'trusted_flagger');
  for (const operation of gated) {
    const refusal = operation.access === 'staff' ? STAFF_ONLY : ADMINS_ONLY;
    expect([operation.name, await call(user, operation, SAMPLES[operation.name]!)]).toEqual([operation.name, refusal]);
    expect([operation.name, await call(flagger, operation, SAMPLES[operation.name]!)]).toEqual([
      operation.name,
      refusal,
    ]);
  }
});

test('admin operations refuse a platform moderator; staff operations let them through to their handler', async () => {
  const moderator = await person(server, 'moderator', 'moderator');
  for (const operation of gated) {
    const error = await call(moderator, operation, SAMPLES[operation.name]!);
    if (operation.access === 'admin') expect([operation.name, error]).toEqual([operation.name, ADMINS_ONLY]);
    else expect([operation.name, error?.message]).not.toEqual([operation.name, STAFF_ONLY.message]);
  }
});

test('a platform admin is let through every gated operation', async () => {
  const admin = await person(server, 'admin', 'admin');
  for (const operation of gated) {
    const error = await call(admin, operation, SAMPLES[operation.name]!);
    expect([operation.name, error?.message]).not.toEqual([operation.name, STAFF_ONLY.message]);
    expect([operation.name, error?.message]).not.toEqual([operation.name, ADMINS_ONLY.message]);
  }
});

test('the input is validated before the gate: a bad input is invalid_input whoever asks', async () => {
  const user = await person(server, 'user');
  const transparency = operations.find((operation) => operation.name === 'transparencyReport')!;
  expect(await call(user, transparency, { from: 'yesterday' })).toMatchObject({ code: 'invalid_input' });
  const notes = operations.find((operation) => operation.name === 'userNotes')!;
  expect(await call(user, notes, { userId: 'nobody' })).toMatchObject({ code: 'invalid_input' });
});
