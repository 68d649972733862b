import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { bootstrapAdmin } from '../handlers/auth';
import type { Services } from '../handlers/context';
import type { Config } from './config';
import { createHttpApp } from './http';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createLimits, type LimitsOps } from './rate-limits';
import { attachSocketHandlers, createSocketServer, socketRealtime, type SocketCounters, type StoaServer } from './socket';

export interface Stoa {
  httpServer: HttpServer;
  io: StoaServer;
  services: Services;
  metrics: Metrics;
  limits: LimitsOps;
  counters: SocketCounters;
  /** Listens on `port` (0 picks a free one) and resolves with the port taken. */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** Wires HTTP and Socket.IO on one server, over a database that is already connected. */
export async function createStoa(config: Config, log: Logger): Promise<Stoa> {
  const httpServer = createServer();
  const io = createSocketServer(httpServer, config);
  const metrics = createMetrics();
  const limits = createLimits({ settings: config.rateLimits, log, metrics });
  const services: Services = {
    log,
    realtime: socketRealtime(io),
    limits,
    metrics,
    jwtSecret: config.jwtSecret,
    jwtTtlSec: config.jwtTtlSec,
    bcryptRounds: config.bcryptRounds,
    autoHideReports: config.autoHideReports,
  };
  const counters: SocketCounters = { droppedEvents: 0 };
  httpServer.on('request', createHttpApp(services));
  attachSocketHandlers(io, services, counters);
  if (config.bootstrapAdmin) await bootstrapAdmin(services, config.bootstrapAdmin);

  return {
    httpServer,
    io,
    services,
    metrics,
    limits,
    counters,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
