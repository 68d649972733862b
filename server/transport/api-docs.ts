/**
 * The API documents, generated from the operation table at start-up: OpenAPI 3.1 for the
 * HTTP routes, AsyncAPI 3 for the socket events, and a plain reference page of both.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { ERROR_STATUS } from '../../handlers/contract/errors';
import type { ClientEventName } from '../../handlers/contract/protocol';
import { ackResults, serverEvents, wireError } from '../../handlers/contract/wire-schemas';
import type { Operation } from './operations';

type JsonSchema = Record<string, unknown>;

/** The wire contract's version (docs/ARCHITECTURE.md §11), not the package's. */
export const API_VERSION = '1.0.0';
const TITLE = 'Stoa';
const DESCRIPTION = 'Real-time chat for groups and broadcast channels, with in-app reporting and live moderation.';

/** A schema as JSON Schema 2020-12, as clients send it (`input`) or as the server sends it (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** The result of an operation, when its event names one. */
const resultOf = (operation: Operation): z.ZodType | undefined => (operation.event ? ackResults[operation.event] : undefined);

const errorBody = (): JsonSchema => ({ type: 'object', properties: { error: { $ref: '#/components/schemas/Error' } }, required: ['error'] });

export function openApiDocument(operations: readonly Operation[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const route = operation.http;
    if (!route) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const input = jsonSchema(route.schema ?? operation.schema, 'input');
    const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((input.required ?? []) as string[]);
    const pathNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const parameters = [
      ...pathNames.map((name) => ({ name, in: 'path', required: true, schema: properties[name] ?? { type: 'string' } })),
      ...(route.from === 'query'
        ? Object.entries(properties)
            .filter(([name]) => !pathNames.includes(name))
            .map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }))
        : []),
    ];
    const result = resultOf(operation);
    const success =
      route.status === 204
        ? { description: 'Done' }
        : { description: 'Success', content: { 'application/json': { schema: result ? jsonSchema(result, 'output') : { type: 'object' } } } };
    const responses: Record<string, unknown> = { [String(route.status)]: success };
    for (const status of new Set(Object.values(ERROR_STATUS))) {
      responses[String(status)] = { description: codesWithStatus(status).join(', '), content: { 'application/json': { schema: errorBody() } } };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: operation.name,
      summary: operation.summary,
      ...(operation.event ? { description: `Also the socket event \`${operation.event}\`.` } : {}),
      ...(operation.access === 'user' ? { security: [{ bearer: [] }] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.from === 'body' ? { requestBody: { required: true, content: { 'application/json': { schema: withoutFields(input, pathNames) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `${TITLE} HTTP API`, version, description: DESCRIPTION },
    paths,
    components: {
      schemas: { Error: jsonSchema(wireError, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

const codesWithStatus = (status: number): string[] => Object.entries(ERROR_STATUS).filter(([, s]) => s === status).map(([code]) => code);

function withoutFields(schema: JsonSchema, names: string[]): JsonSchema {
  if (names.length === 0 || !schema.properties) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties as JsonSchema).filter(([name]) => !names.includes(name)));
  const required = ((schema.required ?? []) as string[]).filter((name) => !names.includes(name));
  return { ...schema, properties, required };
}

/** AsyncAPI component keys allow letters, digits, `.`, `-` and `_`. */
const key = (event: string) => event.replace(/:/g, '.');

export function asyncApiDocument(operations: readonly Operation[], version: string): JsonSchema {
  const messages: Record<string, unknown> = {};
  const asyncOperations: Record<string, unknown> = {};
  const ref = (name: string) => ({ $ref: `#/channels/socket/messages/${name}` });
  for (const operation of operations) {
    const event = operation.event;
    if (!event) continue;
    messages[key(event)] = { name: event, title: operation.summary, payload: jsonSchema(operation.schema, 'input') };
    messages[`${key(event)}.ack`] = { name: `${event} ack`, title: `The ack of ${event}`, payload: ackSchema(event) };
    asyncOperations[key(event)] = {
      action: 'receive',
      channel: { $ref: '#/channels/socket' },
      summary: operation.summary,
      messages: [ref(key(event))],
      reply: { channel: { $ref: '#/channels/socket' }, messages: [ref(`${key(event)}.ack`)] },
    };
  }
  for (const [event, schema] of Object.entries(serverEvents)) {
    messages[key(event)] = { name: event, payload: jsonSchema(schema, 'output') };
    asyncOperations[key(event)] = { action: 'send', channel: { $ref: '#/channels/socket' }, messages: [ref(key(event))] };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${TITLE} socket events`,
      version,
      description: `${DESCRIPTION} Connect with Socket.IO: io(url, { auth: { token } }). Every client event takes one object and an ack callback.`,
    },
    defaultContentType: 'application/json',
    channels: { socket: { address: '/', title: 'The Socket.IO connection', messages } },
    operations: asyncOperations,
    components: { schemas: { Error: jsonSchema(wireError, 'output') } },
  };
}

function ackSchema(event: ClientEventName): JsonSchema {
  const result = jsonSchema(ackResults[event], 'output');
  const properties = (result.properties ?? {}) as JsonSchema;
  return {
    oneOf: [
      { type: 'object', properties: { ok: { const: true }, ...properties }, required: ['ok', ...((result.required ?? []) as string[])] },
      { type: 'object', properties: { ok: { const: false }, error: { $ref: '#/components/schemas/Error' } }, required: ['ok', 'error'] },
    ],
  };
}

const STYLE = 'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}pre{font-size:12px;background:#f6f6f6;padding:.5rem;overflow:auto}';

/** The reference page's policy: nothing loads but its own inline style, named by its hash. */
export const REFERENCE_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain reference page of both documents: no script, no external asset. */
export function referencePage(openApi: JsonSchema, asyncApi: JsonSchema): string {
  const routes = Object.entries(openApi.paths as Record<string, Record<string, { summary: string; operationId: string }>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => `<tr><td><code>${method.toUpperCase()} ${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary)}</td></tr>`),
  );
  const events = Object.values(asyncApi.operations as Record<string, { action: string; summary?: string; messages: Array<{ $ref: string }> }>).map((op) => {
    const name = op.messages[0]!.$ref.split('/').pop()!;
    const message = ((asyncApi.channels as JsonSchema).socket as { messages: Record<string, { name: string; payload: unknown }> }).messages[name]!;
    const direction = op.action === 'receive' ? 'client &rarr; server' : 'server &rarr; client';
    return `<tr><td><code>${escapeHtml(message.name)}</code></td><td>${direction}</td><td>${escapeHtml(op.summary ?? '')}<details><summary>payload</summary><pre>${escapeHtml(JSON.stringify(message.payload, null, 2))}</pre></details></td></tr>`;
  });
  const errors = Object.entries(ERROR_STATUS).map(([code, status]) => `<tr><td><code>${code}</code></td><td>${status}</td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${TITLE} API reference</title>
<style>${STYLE}</style>
</head><body>
<h1>${TITLE} API reference</h1>
<p>${escapeHtml(DESCRIPTION)} Machine-readable: <a href="/api/openapi.json">OpenAPI 3.1</a>, <a href="/api/asyncapi.json">AsyncAPI 3</a>.</p>
<h2>HTTP</h2><table>${routes.join('')}</table>
<h2>Socket.IO events</h2><p>Acks are <code>{ok: true, ...result}</code> or <code>{ok: false, error: {code, message, retryAfterMs?}}</code>.</p><table>${events.join('')}</table>
<h2>Error codes</h2><table>${errors.join('')}</table>
</body></html>
`;
}
