/**
 * The fan-out benchmark's baseline: a bare Socket.IO relay that speaks Stoa's message events
 * (message:send acked with the message, message:new to the chat's room) and does nothing else:
 * no authentication, no authorization, no rate limits, no database.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Server } from 'socket.io';

import { rooms, type ClientToServerEvents, type MessageView, type ServerToClientEvents } from '../../server/protocol';

export interface Relay {
  url: string;
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port; every socket joins the room of `chatId`. */
export async function startRelay(chatId: string): Promise<Relay> {
  const httpServer = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer);
  const room = rooms.chat(chatId);
  let seq = 0;
  io.on('connection', (socket) => {
    void socket.join(room);
    socket.on('message:send', (input, ack) => {
      seq += 1;
      const message: MessageView = {
        id: `${seq}`,
        chatId: input.chatId,
        seq,
        senderId: socket.id,
        text: input.text,
        createdAt: new Date().toISOString(),
      };
      ack({ ok: true, message });
      // As Stoa does: the ack first, then the room.
      setImmediate(() => io.to(room).emit('message:new', { message }));
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    close: () => new Promise((resolve) => void io.close(() => resolve())),
  };
}
