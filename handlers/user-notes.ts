/**
 * Moderator notes on accounts: private to platform moderators, never shown to the account or to
 * chat admins. Each note names its author and time; each read of an account's notes is audited.
 */
import * as userNotes from './store/user-notes';
import * as users from './store/users';
import { recordAccess } from './access-log';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import type { UserNoteView } from './contract/protocol';

const toNoteView = (note: userNotes.UserNote): UserNoteView => ({
  id: note._id.toString(),
  userId: note.userId.toString(),
  authorId: note.authorId.toString(),
  text: note.text,
  createdAt: note.createdAt.toISOString(),
});

export async function addNote(
  { caller }: Context,
  input: { userId: string; text: string },
): Promise<{ note: UserNoteView }> {
  if (!(await users.exists(input.userId))) throw new StoaError('not_found', 'No such user.');
  const note = await userNotes.add(input.userId, caller.user._id, input.text);
  return { note: toNoteView(note) };
}

export async function listNotes({ caller }: Context, input: { userId: string }): Promise<{ notes: UserNoteView[] }> {
  if (!(await users.exists(input.userId))) throw new StoaError('not_found', 'No such user.');
  return { notes: await notesOn(caller, input.userId) };
}

/** A platform moderator's read of the notes on `userId`, newest first; a read that shows any note is audited. */
export async function notesOn(caller: Caller, userId: string): Promise<UserNoteView[]> {
  const notes = await userNotes.on(userId, 200);
  if (notes.length > 0) await recordAccess(caller, 'user_notes', userId, null);
  return notes.map(toNoteView);
}
