/**
 * The API documents, generated from the operation table at start-up: OpenAPI 3.1 for the
 * HTTP routes, AsyncAPI 3 for the socket events, and a plain reference page of both. Each
 * operation's result, errors and access come from its record.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { ERROR_STATUS, UNAVAILABLE_FOR_LEGAL_REASONS, wireError, type ErrorCode } from '../../handlers/contract/errors';
import { serverEvents } from '../../handlers/contract/wire-schemas';
import { errorsOf, type Access, type Operation } from './operations';

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

const WHO: Record<Access, string> = {
  guest: 'Anyone, without a token.',
  user: 'Any signed-in account.',
  staff: 'Platform moderators and admins only; anyone else is refused `forbidden`.',
  admin: 'Platform admins only; anyone else is refused `forbidden`.',
};

/** Who may call an operation, whether a suspended account may, and its limiter, in words. */
export function accessNote(operation: Operation): string {
  const notes = [WHO[operation.access]];
  if (operation.access !== 'guest')
    notes.push(
      operation.allowSuspended
        ? 'A suspended account may call it too, over HTTP.'
        : 'A suspended account is refused `suspended`.',
    );
  if (operation.limiter)
    notes.push(
      `Limited per ${operation.access === 'guest' ? 'address' : 'account'} by \`${operation.limiter}\` (RATE_${operation.limiter.toUpperCase()}).`,
    );
  return notes.join(' ');
}

/** The record's access as specification extensions, for tools; `accessNote` says the same for people. */
const accessExtensions = (operation: Operation): JsonSchema => ({
  'x-stoa-access': operation.access,
  'x-stoa-allow-suspended': operation.allowSuspended === true,
  ...(operation.limiter ? { 'x-stoa-limiter': operation.limiter } : {}),
});

/** An error whose `code` is one of `codes`. */
const errorOf = (codes: readonly ErrorCode[]): JsonSchema => ({
  allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { code: { enum: codes } } }],
});

/** One documented error response per HTTP status the operation may answer, naming its codes. */
function errorResponses(operation: Operation): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  const add = (status: number, code: ErrorCode) => byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  for (const code of errorsOf(operation)) {
    add(ERROR_STATUS[code], code);
    // A chat closed on a ground of illegal content answers 451 (RFC 7725).
    if (code === 'chat_closed') add(UNAVAILABLE_FOR_LEGAL_REASONS, code);
  }
  const body = (codes: ErrorCode[]) => ({ type: 'object', properties: { error: errorOf(codes) }, required: ['error'] });
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      { description: codes.join(', '), content: { 'application/json': { schema: body(codes) } } },
    ]),
  );
}

/** An Express path as an OpenAPI path template: `:chatId` becomes `{chatId}`. */
const templated = (path: string) => path.replace(/:(\w+)/g, '{$1}');

export function openApiDocument(operations: readonly Operation[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const route = operation.http;
    if (!route) continue;
    const path = templated(route.path);
    const input = jsonSchema(route.input ?? operation.input, 'input');
    const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((input.required ?? []) as string[]);
    const pathNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const parameters = [
      ...pathNames.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: properties[name] ?? { type: 'string' },
      })),
      ...(route.from === 'query'
        ? Object.entries(properties)
            .filter(([name]) => !pathNames.includes(name))
            .map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }))
        : []),
    ];
    const success =
      route.status === 204
        ? { description: 'Done' }
        : route.produces === 'text/csv'
          ? { description: 'Success: CSV, one header row', content: { 'text/csv': { schema: { type: 'string' } } } }
          : {
              description: 'Success',
              content: { 'application/json': { schema: jsonSchema(operation.result, 'output') } },
            };
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: operation.name,
      summary: operation.summary,
      description: operation.event
        ? `${accessNote(operation)} Also the socket event \`${operation.event}\`.`
        : accessNote(operation),
      ...accessExtensions(operation),
      ...(operation.access === 'guest' ? {} : { security: [{ bearer: [] }] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.from === 'body'
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: withoutFields(input, pathNames) } },
            },
          }
        : {}),
      responses: { [String(route.status)]: success, ...errorResponses(operation) },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${TITLE} HTTP API`,
      version,
      description: `${DESCRIPTION} Besides the errors each operation lists, any request may be refused 429 \`rate_limited\` by its address's request budget, and a body over 64 KiB 413 \`payload_too_large\`.`,
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(wireError, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

function withoutFields(schema: JsonSchema, names: string[]): JsonSchema {
  if (names.length === 0 || !schema.properties) return schema;
  const properties = Object.fromEntries(
    Object.entries(schema.properties as JsonSchema).filter(([name]) => !names.includes(name)),
  );
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
    const errors = errorsOf(operation);
    messages[key(event)] = { name: event, title: operation.summary, payload: jsonSchema(operation.input, 'input') };
    messages[`${key(event)}.ack`] = {
      name: `${event} ack`,
      title: `The ack of ${event}`,
      description: `Fails with: ${errors.join(', ')}.`,
      payload: ackSchema(operation.result, errors),
    };
    asyncOperations[key(event)] = {
      action: 'receive',
      channel: { $ref: '#/channels/socket' },
      summary: operation.summary,
      description: accessNote(operation),
      ...accessExtensions(operation),
      messages: [ref(key(event))],
      reply: { channel: { $ref: '#/channels/socket' }, messages: [ref(`${key(event)}.ack`)] },
    };
  }
  for (const [event, schema] of Object.entries(serverEvents)) {
    // Keyed apart from the client events: `chat:read` is both.
    const id = `server.${key(event)}`;
    messages[id] = { name: event, payload: jsonSchema(schema, 'output') };
    asyncOperations[id] = { action: 'send', channel: { $ref: '#/channels/socket' }, messages: [ref(id)] };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${TITLE} socket events`,
      version,
      description: `${DESCRIPTION} Connect with Socket.IO: io(url, { auth: { token } }). Every client event takes one object and an ack callback. Besides the errors each event lists, any event may be refused \`rate_limited\` by its socket's event budget.`,
    },
    defaultContentType: 'application/json',
    channels: { socket: { address: '/', title: 'The Socket.IO connection', messages } },
    operations: asyncOperations,
    components: { schemas: { Error: jsonSchema(wireError, 'output') } },
  };
}

/** An ack: `{ok: true}` with the record's result, or `{ok: false, error}` with one of its errors. */
export function ackSchema(result: z.ZodType, errors: readonly ErrorCode[]): JsonSchema {
  const answer = jsonSchema(result, 'output');
  const properties = (answer.properties ?? {}) as JsonSchema;
  return {
    oneOf: [
      {
        type: 'object',
        properties: { ok: { const: true }, ...properties },
        required: ['ok', ...((answer.required ?? []) as string[])],
      },
      { type: 'object', properties: { ok: { const: false }, error: errorOf(errors) }, required: ['ok', 'error'] },
    ],
  };
}

const STYLE =
  'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}small{color:#555}pre{font-size:12px;background:#f6f6f6;padding:.5rem;overflow:auto}';

/** The reference page's policy: nothing loads but its own inline style, named by its hash. */
export const REFERENCE_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Escaped text, with `code` spans as in the documents' descriptions. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
const details = (label: string, schema: JsonSchema) =>
  `<details><summary>${label}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;

/** One operation: its name and access, what it does, who may call it, what it may answer. */
function operationRow(name: string, operation: Operation, shapes: string): string {
  const errors = errorsOf(operation)
    .map((code) => `<code>${code}</code>`)
    .join(', ');
  return `<tr><td><code>${escapeHtml(name)}</code><br><small>${operation.access}</small></td><td>${escapeHtml(operation.summary)}<br><small>${prose(accessNote(operation))} Errors: ${errors}.</small>${shapes}</td></tr>`;
}

/** A plain reference page of the operation table and the server events: no script, no external asset. */
export function referencePage(operations: readonly Operation[]): string {
  const routes = operations.flatMap((operation) => {
    const route = operation.http;
    return route
      ? [
          operationRow(
            `${route.method.toUpperCase()} ${templated(route.path)}`,
            operation,
            details('result', jsonSchema(operation.result, 'output')),
          ),
        ]
      : [];
  });
  const clientEvents = operations.flatMap((operation) =>
    operation.event
      ? [
          operationRow(
            operation.event,
            operation,
            details('input', jsonSchema(operation.input, 'input')) +
              details('ack', ackSchema(operation.result, errorsOf(operation))),
          ),
        ]
      : [],
  );
  const events = Object.entries(serverEvents).map(
    ([event, payload]) =>
      `<tr><td><code>${event}</code></td><td>${details('payload', jsonSchema(payload, 'output'))}</td></tr>`,
  );
  const errors = Object.entries(ERROR_STATUS).map(
    ([code, status]) => `<tr><td><code>${code}</code></td><td>${status}</td></tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${TITLE} API reference</title>
<style>${STYLE}</style>
</head><body>
<h1>${TITLE} API reference</h1>
<p>${escapeHtml(DESCRIPTION)} Machine-readable: <a href="/api/openapi.json">OpenAPI 3.1</a>, <a href="/api/asyncapi.json">AsyncAPI 3</a>.</p>
<p>Each operation says who may call it (<code>guest</code>, <code>user</code>, <code>staff</code>: platform moderators and admins, <code>admin</code>: platform admins) and the errors it may answer; any request may also be refused <code>rate_limited</code> by its address's request budget or its socket's event budget.</p>
<h2>HTTP</h2><table>${routes.join('')}</table>
<h2>Socket.IO client events</h2><p>Acks are <code>{ok: true, ...result}</code> or <code>{ok: false, error: {code, message, retryAfterMs?, until?}}</code>.</p><table>${clientEvents.join('')}</table>
<h2>Socket.IO server events</h2><table>${events.join('')}</table>
<h2>Error codes</h2><table>${errors.join('')}</table>
</body></html>
`;
}
