/** TRUST_PROXY decides, for HTTP and sockets alike, whether X-Forwarded-For names the client. */
import type { IncomingMessage } from 'node:http';

import { clientAddress, parseTrustProxy } from '../server/transport/client-address';
import { ConfigError, loadConfig } from '../server/config';
import { dropTestDatabase, startTestServer } from './support/harness';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress },
    connection: { remoteAddress },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  }) as unknown as IncomingMessage;

describe('parseTrustProxy (unit)', () => {
  test('unset or false trusts no proxy: the peer is the client', () => {
    expect(clientAddress(request('127.0.0.1', '203.0.113.9'), parseTrustProxy(undefined))).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', '203.0.113.9'), parseTrustProxy('false'))).toBe('127.0.0.1');
  });

  test('loopback trusts a proxy on this machine, and only that hop', () => {
    const trust = parseTrustProxy('loopback');
    expect(clientAddress(request('127.0.0.1', '203.0.113.9'), trust)).toBe('203.0.113.9');
    expect(clientAddress(request('::1', '198.51.100.1, 203.0.113.9'), trust)).toBe('203.0.113.9');
    expect(clientAddress(request('192.0.2.50', '203.0.113.9'), trust)).toBe('192.0.2.50');
  });

  test('a CIDR list and a hop count', () => {
    expect(clientAddress(request('10.1.2.3', '203.0.113.9'), parseTrustProxy('10.0.0.0/8, 127.0.0.1'))).toBe(
      '203.0.113.9',
    );
    expect(clientAddress(request('10.1.2.3', '198.51.100.7, 10.0.0.1'), parseTrustProxy('2'))).toBe('198.51.100.7');
    expect(clientAddress(request('10.1.2.3', '198.51.100.7, 10.0.0.1'), parseTrustProxy('1'))).toBe('10.0.0.1');
  });

  test('a value that is not an address, a CIDR, a name or a number stops start-up with one line', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), TRUST_PROXY: 'my-proxy.example' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), TRUST_PROXY: '10.0.0.0/99' })).toThrow(
      /TRUST_PROXY must be/,
    );
  });
});

describe('with no proxy trusted (the default)', () => {
  afterAll(dropTestDatabase);

  test('a forged X-Forwarded-For does not escape a per-IP limit, over HTTP or at the socket handshake', async () => {
    const server = await startTestServer({
      TRUST_PROXY: 'false',
      RATE_REGISTRATIONS: '2/60s',
      RATE_CONNECTIONS: '2/60s',
    });
    try {
      const register = (i: number) =>
        server.http('POST', '/api/auth/register', {
          body: { username: `forger_${i}_${Date.now() % 1e6}`, password: 'long enough' },
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
      expect((await register(1)).status).toBe(201);
      const second = await register(2);
      expect(second.status).toBe(201);
      expect((await register(3)).status).toBe(429);

      const from = (i: number) => ({ extraHeaders: { 'x-forwarded-for': `198.51.100.${i}` } });
      await server.connect(second.body.token, from(1));
      await server.connect(second.body.token, from(2));
      await expect(server.connect(second.body.token, from(3))).rejects.toThrow('rate_limited');
    } finally {
      await server.close();
    }
  });
});
