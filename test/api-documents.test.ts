import { execFile } from 'node:child_process';
import path from 'node:path';

import { Parser } from '@asyncapi/parser';

import { serverEvents } from '../handlers/contract/wire-schemas';
import { operations } from '../server/transport/operations';
import { useTestServer } from './support/harness';

const server = useTestServer();

/** Validates against the OpenAPI 3.1 specification (@seriousme/openapi-schema-validator, offline). */
function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors: unknown }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, 'support/validate-openapi.mjs')], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
    child.stdin!.end(JSON.stringify(document));
  });
}

test('the OpenAPI document is valid OpenAPI 3.1 and lists every HTTP route of the operation table', async () => {
  const { status, body } = await server.http('GET', '/api/openapi.json');
  expect(status).toBe(200);
  const result = await validateOpenApi(body);
  expect(result.errors).toBeNull();
  expect(result.valid).toBe(true);
  for (const { http, name } of operations) {
    if (!http) continue;
    const path = http.path.replace(/:(\w+)/g, '{$1}');
    expect(body.paths[path]?.[http.method]).toMatchObject({ operationId: name });
    expect(body.paths[path][http.method].responses[String(http.status)]).toBeDefined();
  }
});

test('the AsyncAPI document is valid AsyncAPI 3 and lists every client event, its ack, and every server event', async () => {
  const { status, body } = await server.http('GET', '/api/asyncapi.json');
  expect(status).toBe(200);
  const diagnostics = await new Parser().validate(body);
  expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual([]);
  const names = Object.values(body.channels.socket.messages as Record<string, { name: string }>).map((m) => m.name);
  for (const { event } of operations) if (event) expect(names).toEqual(expect.arrayContaining([event, `${event} ack`]));
  expect(names).toEqual(expect.arrayContaining(Object.keys(serverEvents)));
  expect(JSON.stringify(body.components.schemas.Error)).toContain('rate_limited');
});

test('the reference page is served offline under a strict content security policy', async () => {
  const res = await fetch(`${server.url}/api/docs`);
  const html = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
  expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  for (const { event } of operations) if (event) expect(html).toContain(`<code>${event}</code>`);
  expect(html).toContain('GET /api/chats/{chatId}/messages');
});
