// What the page holds: my chats as chat:list gave them, and the messages of the chats I opened, by seq.

export const state = {
  /** chatId -> chat view of chat:list (role, lastSeq, lastMessage, readSeq, unreadCount, muted, closed). */
  chats: new Map(),
  /** chatId -> Map(seq -> message or tombstone): only chats opened in this page. */
  messages: new Map(),
  /** chatId -> whether earlier messages remain on the server. */
  older: new Map(),
  /** The chat on screen, if any. */
  openChatId: null,
};

export function messagesOf(chatId) {
  let held = state.messages.get(chatId);
  if (!held) state.messages.set(chatId, (held = new Map()));
  return held;
}

/** The highest seq held for a chat, or null when none is held. */
export function heldSeq(chatId) {
  const held = state.messages.get(chatId);
  if (!held || held.size === 0) return null;
  return Math.max(...held.keys());
}

export const isAdminOf = (chat) => chat?.role === 'owner' || chat?.role === 'admin';
