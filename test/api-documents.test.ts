import { execFile } from 'node:child_process';
import path from 'node:path';

import { Parser } from '@asyncapi/parser';
import { z } from 'zod';

import { ERROR_STATUS } from '../handlers/contract/errors';
import { serverEvents } from '../handlers/contract/wire-schemas';
import { accessNote } from '../server/transport/api-docs';
import { errorsOf, operations } from '../server/transport/operations';
import { useTestServer } from './support/harness';

const server = useTestServer();

/** Validates against the OpenAPI 3.1 specification (@seriousme/openapi-schema-validator, offline). */
function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors: unknown }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, 'support/validate-openapi.mjs')], (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout)),
    );
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
  expect(names).toEqual(expect.arrayContaining(['chat:get', 'chat:get ack']));
  // One operation per client event and per server event, even where they share a name (chat:read).
  expect(Object.keys(body.operations)).toHaveLength(
    operations.filter(({ event }) => event).length + Object.keys(serverEvents).length,
  );
  expect(JSON.stringify(body.components.schemas.Error)).toContain('rate_limited');
});

/** A record's result as the documents give it (JSON Schema, as the server sends it). */
const resultSchema = (operation: (typeof operations)[number]) => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(operation.result, { io: 'output', unrepresentable: 'any' });
  return schema as { properties?: Record<string, unknown>; required?: string[] };
};
const asyncKey = (event: string) => event.replace(/:/g, '.');
/** An OpenAPI error response as the document writes it: the catalogue's Error, narrowed to some codes. */
type ErrorResponse = {
  content: {
    'application/json': {
      schema: {
        properties: {
          error: { allOf: [unknown, { properties: { code: { enum: Array<keyof typeof ERROR_STATUS> } } }] };
        };
      };
    };
  };
};
/** What a document says of who may call an operation, in its x-stoa extensions. */
const accessOf = (documented: Record<string, unknown>) => ({
  access: documented['x-stoa-access'],
  allowSuspended: documented['x-stoa-allow-suspended'],
  limiter: documented['x-stoa-limiter'],
});

test('every ack in AsyncAPI and every HTTP success body in OpenAPI is the result of its record', async () => {
  const openApi = (await server.http('GET', '/api/openapi.json')).body;
  const asyncApi = (await server.http('GET', '/api/asyncapi.json')).body;
  for (const operation of operations) {
    const result = resultSchema(operation);
    if (operation.event) {
      const [success] = asyncApi.channels.socket.messages[`${asyncKey(operation.event)}.ack`].payload.oneOf;
      expect(success.properties).toEqual({ ok: { const: true }, ...result.properties });
      expect(success.required).toEqual(['ok', ...(result.required ?? [])]);
    }
    const route = operation.http;
    if (route && route.status !== 204) {
      const documented = openApi.paths[route.path.replace(/:(\w+)/g, '{$1}')][route.method];
      const content = documented.responses[String(route.status)].content;
      if (route.produces === 'text/csv') expect(content['text/csv'].schema).toEqual({ type: 'string' });
      else expect(content['application/json'].schema).toEqual(result);
    }
  }
});

test('every operation documents who may call it, whether while suspended, its limiter and its errors', async () => {
  const openApi = (await server.http('GET', '/api/openapi.json')).body;
  const asyncApi = (await server.http('GET', '/api/asyncapi.json')).body;
  for (const operation of operations) {
    const recorded = {
      access: operation.access,
      allowSuspended: operation.allowSuspended === true,
      limiter: operation.limiter,
    };
    const errors = errorsOf(operation);
    const route = operation.http;
    if (route) {
      const documented = openApi.paths[route.path.replace(/:(\w+)/g, '{$1}')][route.method];
      expect(accessOf(documented)).toEqual(recorded);
      expect(documented.description).toContain(accessNote(operation));
      const failures = Object.entries(documented.responses as Record<string, ErrorResponse>).filter(
        ([status]) => Number(status) >= 400,
      );
      const codes = failures.flatMap(([status, response]) => {
        const listed = response.content['application/json'].schema.properties.error.allOf[1].properties.code.enum;
        // chat_closed is documented under 451 too: a chat closed on a ground of illegal content.
        for (const code of listed)
          expect(code === 'chat_closed' && status === '451' ? 451 : ERROR_STATUS[code]).toBe(Number(status));
        return listed;
      });
      expect([...new Set(codes)].sort()).toEqual([...errors].sort());
    }
    if (operation.event) {
      const key = asyncKey(operation.event);
      expect(accessOf(asyncApi.operations[key])).toEqual(recorded);
      expect(asyncApi.operations[key].description).toBe(accessNote(operation));
      expect(asyncApi.channels.socket.messages[`${key}.ack`].description).toBe(`Fails with: ${errors.join(', ')}.`);
      expect(
        asyncApi.channels.socket.messages[`${key}.ack`].payload.oneOf[1].properties.error.allOf[1].properties.code.enum,
      ).toEqual(errors);
    }
  }
});

test('the errors an operation may answer: its own, and those that come with its access and limiter', () => {
  const named = (name: string) => operations.find((operation) => operation.name === name)!;
  expect(errorsOf(named('register'))).toEqual(['invalid_input', 'conflict', 'rate_limited', 'internal']);
  expect(errorsOf(named('getChat'))).toEqual([
    'invalid_input',
    'unauthorized',
    'suspended',
    'not_found',
    'rate_limited',
    'internal',
  ]);
  expect(errorsOf(named('listNotices'))).toEqual(['invalid_input', 'unauthorized', 'internal']);
  expect(errorsOf(named('accessLog'))).toEqual(['invalid_input', 'unauthorized', 'forbidden', 'suspended', 'internal']);
});

test('the reference page is served offline under a strict content security policy', async () => {
  const res = await fetch(`${server.url}/api/docs`);
  const html = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
  expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  for (const { event } of operations) if (event) expect(html).toContain(`<code>${event}</code>`);
  expect(html).toContain('GET /api/chats/{chatId}/messages');
  // Each operation with who may call it and what it may answer.
  expect(html).toContain('<code>mod:appeals</code><br><small>staff</small>');
  expect(html).toContain('<code>GET /api/transparency</code><br><small>admin</small>');
  expect(html).toContain(
    'Errors: <code>invalid_input</code>, <code>unauthorized</code>, <code>suspended</code>, <code>not_found</code>, <code>rate_limited</code>, <code>internal</code>.',
  );
});
