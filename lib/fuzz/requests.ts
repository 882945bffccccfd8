import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  anyJson,
  brokenObject,
  EVIL_STRINGS,
  invalidValue,
  type JsonSchema,
  nastyString,
  pooled,
  SchemaResolver,
  type ValuePool,
  validValue,
} from './schema.ts';

/** Who may call an operation, read from its `security` in the document. */
export type Access = 'public' | 'user' | 'admin';

/** One operation of the document, as the fuzzer reads it. */
export interface FuzzOperation {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  readonly access: Access;
  readonly parameters: readonly {
    readonly name: string;
    readonly in: 'path' | 'query' | 'header';
    readonly required: boolean;
    readonly schema: JsonSchema;
    readonly example?: unknown;
  }[];
  /** The JSON body's schema and example, when the operation takes one. */
  readonly body?: { readonly schema: JsonSchema; readonly example?: unknown };
}

/** The part of an OpenAPI 3.1 document the fuzzer reads. */
export interface FuzzDocument {
  readonly paths: Record<string, Record<string, JsonSchema>>;
  readonly components: JsonSchema;
}

/** Every operation of the document, in its order. */
export function operationsOf(document: FuzzDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security = op.security as Record<string, string[]>[] | undefined;
      const scopes = security?.flatMap((requirement) => Object.values(requirement).flat()) ?? [];
      const json = (op.requestBody as JsonSchema | undefined)?.content as
        | Record<string, { schema: JsonSchema; example?: unknown }>
        | undefined;
      operations.push({
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        template,
        access: !security ? 'public' : scopes.includes('admin') ? 'admin' : 'user',
        parameters: ((op.parameters ?? []) as FuzzOperation['parameters'][number][]).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required,
          schema: p.schema,
          example: p.example,
        })),
        ...(json?.['application/json'] ? { body: json['application/json'] } : {}),
      });
    }
  }
  return operations;
}

/** Who a request speaks for: each role's access token (the fuzzer registers them at start). */
export interface Identities {
  /** The owner of what the value pool holds (orders, conversations, ...). */
  readonly user: string;
  /** Another customer: sees none of the owner's things. */
  readonly other: string;
  readonly admin: string;
}

/** A generated request, concrete enough to send, print and replay. */
export interface FuzzRequest {
  /** The operation it was generated for (a wrong method or mangled path may reach another). */
  readonly operationId: string;
  readonly method: string;
  /** Path and query exactly as sent (percent-encoded where needed, `../` kept when asked). */
  readonly path: string;
  /** In order; a name may repeat (duplicate headers). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** What was done to it, for the report (`body: broken`, `auth: other`, ...). */
  readonly notes: readonly string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Percent-encodes what an HTTP request line cannot carry raw; `raw` keeps `/`, `..`, `%`, quotes. */
function encodeSegment(whole: string, raw: boolean): string {
  const value = whole.slice(0, MAX_URL_VALUE);
  // Lone surrogates have no UTF-8: they travel as U+FFFD, as a browser would send them.
  if (!raw) return encodeURIComponent(value.toWellFormed());
  return [...value]
    .map((c) =>
      /^[\x21-\x7e]$/.test(c) && c !== '?' && c !== '#'
        ? c
        : [...Buffer.from(c.toWellFormed(), 'utf8')]
            .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
            .join(''),
    )
    .join('');
}

/** A header value as bytes on the wire: UTF-8, no control characters (HTTP/1.1 cannot carry them). */
const headerValue = (value: string): string =>
  Buffer.from(
    [...value.toWellFormed()]
      .map((c) => (c === '\t' || c >= ' ' ? c : ' '))
      .join('')
      .replaceAll('\x7f', ' '),
    'utf8',
  ).toString('latin1');

/** Values bound for the URL are cut here: a request line of megabytes tests nothing more. */
const MAX_URL_VALUE = 20_000;

const stringOf = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? '');

/** Bearer tokens the authorizer must refuse: malformed, unsigned, foreign, oversized. */
const BAD_TOKENS: readonly string[] = [
  'Bearer',
  'Bearer ',
  'Bearer x.y.z',
  'Basic YWRtaW46YWRtaW4=',
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInNjb3BlIjoiYWRtaW4ifQ.',
  'Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJ4In0.c2ln',
  `Bearer ${'a'.repeat(4000)}`,
  'Bearer \u00ff\u00fe',
  "Bearer ' OR 1=1 --",
];

const CONTENT_TYPES: readonly string[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json, text/plain',
  '*/*',
  '',
];

/** Bodies that are not JSON at all, or JSON that breaks parsers. */
const rawBody: fc.Arbitrary<{ bytes: Buffer; note: string }> = fc.oneof(
  fc.constantFrom(
    { bytes: Buffer.from(''), note: 'empty' },
    { bytes: Buffer.from('{'), note: 'truncated JSON' },
    { bytes: Buffer.from('{"a":1}{"b":2}'), note: 'two JSON values' },
    { bytes: Buffer.from('\ufeff{}'), note: 'BOM' },
    { bytes: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x7d]), note: 'invalid UTF-8' },
    { bytes: Buffer.from('{"a":"\\ud800"}'), note: 'escaped lone surrogate' },
    { bytes: Buffer.from('email=a&password=b'), note: 'form body' },
    { bytes: Buffer.from('<a/>'), note: 'XML' },
    { bytes: Buffer.from(`{"a":"${'x'.repeat(17_000)}"}`), note: 'over the 16 KiB body limit' },
    { bytes: Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`), note: 'deeply nested' },
  ),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), note: 'random bytes' })),
);

/** Over API Gateway's 10 MB payload limit (rarely: it is slow to send). */
const OVER_PAYLOAD_LIMIT = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);

interface Parts {
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer;
  notes: string[];
}

/**
 * Requests for one operation, derived from its schemas: mostly well-shaped (so handlers do
 * real work), with one or more of: wrong types, missing and unknown fields, huge and unicode
 * strings, traversal and injection-shaped ids, bad cursors, wrong methods and content types,
 * duplicate and oversized headers, every kind of token.
 */
export function requestArbitrary(
  op: FuzzOperation,
  document: FuzzDocument,
  pool: ValuePool,
  identities: Identities,
): fc.Arbitrary<FuzzRequest> {
  const resolver = new SchemaResolver(document.components);
  const params = (where: 'path' | 'query' | 'header') => op.parameters.filter((p) => p.in === where);

  const pathArb = fc
    .tuple(
      fc.tuple(
        ...params('path').map((p) =>
          fc.oneof(
            {
              weight: 17,
              arbitrary: validValue(p.schema, resolver, pool, p.name).map((v) => ({
                v: stringOf(v),
                evil: false,
              })),
            },
            {
              weight: 3,
              arbitrary: fc
                .oneof(
                  fc.constantFrom(...EVIL_STRINGS),
                  nastyString,
                  fc.constantFrom('x'.repeat(2048), '0'.repeat(300), 'A'.repeat(9000)),
                )
                .map((v) => ({ v, evil: true })),
            },
          ),
        ),
      ),
      fc.boolean(),
      fc.oneof(
        { weight: 19, arbitrary: fc.constant('') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('trailing slash', 'double slash', 'upper case', 'extra segment'),
        },
      ),
    )
    .map(([values, raw, mangle]) => {
      let i = 0;
      let path = op.template.replace(/\{[^}]+\}/g, () => {
        const value = values[i++] as { v: string; evil: boolean };
        return encodeSegment(value.v, raw && value.evil);
      });
      if (mangle === 'trailing slash') path = `${path}/`;
      if (mangle === 'double slash') path = `/${path}`;
      if (mangle === 'upper case') path = path.toUpperCase();
      if (mangle === 'extra segment') path = `${path}/x`;
      const notes = values.some((v) => v.evil) ? [`path: ${raw ? 'raw ' : ''}evil id`] : [];
      return { path, notes: mangle ? [...notes, `path: ${mangle}`] : notes };
    });

  const queryArb = fc
    .tuple(
      fc.tuple(
        ...params('query').map((p) => {
          // A cursor is this listing's own (harvested), or junk: another listing's, truncated, forged, huge.
          if (/cursor/i.test(p.name)) {
            const own = pool.get(`cursor:${op.template}`) ?? [];
            const any = pool.get('nextCursor') ?? ['eyJ9'];
            return fc.oneof(
              { weight: 8, arbitrary: fc.constant<string[] | undefined>(undefined) },
              {
                weight: own.length > 0 ? 3 : 0,
                arbitrary: fc.constantFrom(...(own.length > 0 ? own : any)).map((c) => [c]),
              },
              {
                weight: 2,
                arbitrary: fc
                  .oneof(
                    fc.constantFrom(...any),
                    fc.constantFrom(...any).map((c) => c.slice(0, -3)),
                    fc.constantFrom(...any).map((c) => `${c}AA`),
                    fc.base64String({ maxLength: 200 }),
                    fc.constantFrom('eyJwayI6IlVTRVIjeCJ9', 'e30', '.', 'x'.repeat(5000)),
                  )
                  .map((c) => [c]),
              },
            );
          }
          return fc.oneof(
            { weight: p.required ? 0 : 4, arbitrary: fc.constant<string[] | undefined>(undefined) },
            { weight: 8, arbitrary: validValue(p.schema, resolver, pool, p.name).map((v) => [stringOf(v)]) },
            { weight: 1, arbitrary: invalidValue(p.schema, resolver).map((v) => [stringOf(v)]) },
            {
              weight: 1,
              arbitrary: fc
                .tuple(
                  validValue(p.schema, resolver, pool, p.name),
                  validValue(p.schema, resolver, pool, p.name),
                )
                .map(([a, b]) => [stringOf(a), stringOf(b)]),
            },
          );
        }),
      ),
      fc.oneof(
        { weight: 19, arbitrary: fc.constant('') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'unknown=1',
            'limit',
            '&&',
            'cursor=%zz',
            '%00=%00',
            `q=${'x'.repeat(3000)}`,
          ),
        },
      ),
    )
    .map(([values, extra]) => {
      const pairs: string[] = [];
      params('query').forEach((p, index) => {
        for (const value of values[index] ?? [])
          pairs.push(`${encodeURIComponent(p.name)}=${encodeSegment(value, false)}`);
      });
      if (extra) pairs.push(extra);
      return pairs.length > 0 ? `?${pairs.join('&')}` : '';
    });

  const deletes = op.method === 'DELETE' && op.access !== 'admin';
  const tokenArb = fc.oneof(
    ...(op.access === 'public'
      ? [
          { weight: 7, arbitrary: fc.constant({ note: '', value: undefined as string | undefined }) },
          { weight: 2, arbitrary: fc.constant({ note: 'auth: user', value: `Bearer ${identities.user}` }) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...BAD_TOKENS).map((value) => ({ note: 'auth: bad token', value })),
          },
        ]
      : [
          // DELETEs of user routes go out as the other customer, never the owner or the admin:
          // `DELETE /me` would erase the account the pool's things belong to (or the one admin
          // account) early in every block, and the rest would only meet 404s.
          {
            weight: deletes ? 0 : op.access === 'admin' ? 3 : 10,
            arbitrary: fc.constant({
              note: 'auth: user',
              value: `Bearer ${identities.user}` as string | undefined,
            }),
          },
          {
            weight: deletes ? 0 : op.access === 'admin' ? 10 : 4,
            arbitrary: fc.constant({ note: 'auth: admin', value: `Bearer ${identities.admin}` }),
          },
          {
            weight: deletes ? 13 : 3,
            arbitrary: fc.constant({ note: 'auth: other user', value: `Bearer ${identities.other}` }),
          },
          { weight: 2, arbitrary: fc.constant({ note: 'auth: none', value: undefined }) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(...BAD_TOKENS).map((value) => ({ note: 'auth: bad token', value })),
          },
          {
            weight: 1,
            arbitrary: fc.constant({
              note: 'auth: lower-case scheme',
              value: `bearer ${deletes ? identities.other : identities.user}`,
            }),
          },
        ]),
  );

  const headerParamsArb = fc.tuple(
    ...params('header').map((p) =>
      fc.oneof(
        {
          weight: p.required ? 0 : 3,
          arbitrary: fc.constant<{ value?: string; note: string }>({ note: '' }),
        },
        {
          weight: 6,
          arbitrary: validValue(p.schema, resolver, pool, p.name.toLowerCase()).map((v) => ({
            value: stringOf(v),
            note: '',
          })),
        },
        {
          weight: 2,
          arbitrary: invalidValue(p.schema, resolver).map((v) => ({
            value: stringOf(v),
            note: `header: bad ${p.name}`,
          })),
        },
        {
          weight: p.required ? 1 : 0,
          arbitrary: fc.constant<{ value?: string; note: string }>({ note: `header: no ${p.name}` }),
        },
      ),
    ),
  );

  const bodyArb: fc.Arbitrary<{ bytes?: Buffer; note: string }> = op.body
    ? fc.oneof(
        {
          weight: 12,
          arbitrary: validValue(op.body.schema, resolver, pool).map((v) => ({
            bytes: Buffer.from(JSON.stringify(v)),
            note: '',
          })),
        },
        {
          weight: 6,
          arbitrary: brokenObject(op.body.schema, resolver, pool).map((v) => ({
            bytes: Buffer.from(JSON.stringify(v) ?? ''),
            note: 'body: broken field',
          })),
        },
        {
          weight: 1,
          arbitrary: anyJson.map((v) => ({
            bytes: Buffer.from(JSON.stringify(v) ?? 'null'),
            note: 'body: any JSON',
          })),
        },
        { weight: 2, arbitrary: rawBody.map(({ bytes, note }) => ({ bytes, note: `body: ${note}` })) },
        { weight: 1, arbitrary: fc.constant({ note: 'body: none' }) },
      )
    : fc.oneof(
        { weight: 17, arbitrary: fc.constant({ note: '' }) },
        {
          weight: 2,
          arbitrary: anyJson.map((v) => ({
            bytes: Buffer.from(JSON.stringify(v) ?? 'null'),
            note: 'body: unexpected JSON',
          })),
        },
        {
          weight: 1,
          arbitrary: rawBody.map(({ bytes, note }) => ({ bytes, note: `body: unexpected ${note}` })),
        },
      );

  const contentTypeArb = fc.oneof(
    { weight: 16, arbitrary: fc.constant<string | undefined>('application/json') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  );

  /** Header abuse on top: duplicates, oversized, unicode, spoofed forwarding. */
  const headerAbuseArb = fc.oneof(
    { weight: 80, arbitrary: fc.constant((parts: Parts) => parts) },
    ...(
      [
        [
          'duplicate authorization',
          (p: Parts) => addHeader(p, 'authorization', `Bearer ${identities.other}`),
        ],
        ['duplicate content-type', (p: Parts) => addHeader(p, 'content-type', 'text/plain')],
        ['header just under the gateway limit', (p: Parts) => addHeader(p, 'x-fuzz', 'h'.repeat(8_000))],
        ['header over the gateway limit', (p: Parts) => addHeader(p, 'x-fuzz', 'h'.repeat(11_000))],
        [
          'many headers',
          (p: Parts) =>
            Array.from({ length: 150 }, (_, i) => i).reduce(
              (q, i) => addHeader(q, `x-fuzz-${i}`, String(i)),
              p,
            ),
        ],
        ['unicode header value', (p: Parts) => addHeader(p, 'x-fuzz', '\u202eévil\u{1f600}')],
        [
          'spoofed forwarding',
          (p: Parts) =>
            addHeader(addHeader(p, 'x-forwarded-for', "1.1.1.1' OR 1=1"), 'x-amzn-requestid', '../x'),
        ],
        [
          'duplicate cookie',
          (p: Parts) => addHeader(addHeader(p, 'cookie', 'a=1; a=2'), 'cookie', `b=${'\u00ff'.repeat(10)}`),
        ],
      ] as const
    ).map(([note, apply]) => ({
      weight: 1,
      arbitrary: fc.constant((parts: Parts) => {
        const next = apply(parts);
        next.notes.push(`headers: ${note}`);
        return next;
      }),
    })),
  );

  const methodArb = fc.oneof(
    { weight: 29, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== op.method)) },
  );

  const hugeBodyArb = fc.oneof(
    { weight: 999, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  );

  return fc
    .record({
      method: methodArb,
      path: pathArb,
      query: queryArb,
      token: tokenArb,
      headerParams: headerParamsArb,
      body: bodyArb,
      contentType: contentTypeArb,
      abuse: headerAbuseArb,
      huge: hugeBodyArb,
    })
    .map((r) => {
      // The same rule for a wrong method: the owner's or admin's token never turns into a DELETE.
      if (r.method === 'DELETE' && op.access !== 'admin' && /user$|admin$|scheme$/.test(r.token.note)) {
        r.method = op.method;
      }
      const parts: Parts = {
        method: r.method,
        path: `${r.path.path}${r.query}`,
        headers: [],
        notes: [...r.path.notes],
      };
      if (r.method !== op.method) parts.notes.push(`method: ${r.method} instead of ${op.method}`);
      if (r.token.value !== undefined) addHeader(parts, 'authorization', r.token.value);
      if (r.token.note) parts.notes.push(r.token.note);
      params('header').forEach((p, index) => {
        const chosen = r.headerParams[index];
        if (chosen?.value !== undefined) addHeader(parts, p.name, chosen.value);
        if (chosen?.note) parts.notes.push(chosen.note);
      });
      if (r.huge) {
        parts.body = OVER_PAYLOAD_LIMIT;
        parts.notes.push('body: over the 10 MB payload limit');
      } else if (r.body.bytes) {
        parts.body = r.body.bytes;
        if (r.body.note) parts.notes.push(r.body.note);
      } else if (r.body.note) parts.notes.push(r.body.note);
      if (parts.body && r.contentType !== undefined) addHeader(parts, 'content-type', r.contentType);
      if (parts.body && r.contentType !== 'application/json')
        parts.notes.push(`content-type: ${r.contentType ?? 'none'}`);
      const abused = r.abuse(parts);
      return {
        operationId: op.operationId,
        method: abused.method,
        path: abused.path,
        headers: abused.headers.map(([name, value]) => [name, headerValue(value)] as const),
        ...(abused.body ? { body: abused.body } : {}),
        notes: abused.notes,
      };
    });
}

function addHeader(parts: Parts, name: string, value: string): Parts {
  parts.headers.push([name, value]);
  return parts;
}

/**
 * The documented example request of an operation, with ids from the pool where it has them:
 * sent once per operation before fuzzing so the API holds orders, conversations and the like
 * of the fuzzer's users, whose ids the pool then offers.
 */
export function exampleRequest(op: FuzzOperation, pool: ValuePool, identities: Identities): FuzzRequest {
  const substitute = (value: unknown, name = ''): unknown => {
    if (typeof value === 'string') return pooled(pool, name)[0] ?? value;
    if (Array.isArray(value)) return value.map((item) => substitute(item, name));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, key)]));
    }
    return value;
  };
  let path = op.template;
  for (const p of op.parameters.filter((q) => q.in === 'path')) {
    path = path.replace(`{${p.name}}`, encodeURIComponent(stringOf(substitute(p.example ?? '', p.name))));
  }
  const headers: [string, string][] = [];
  if (op.access !== 'public')
    headers.push(['authorization', `Bearer ${op.access === 'admin' ? identities.admin : identities.user}`]);
  for (const p of op.parameters.filter((q) => q.in === 'header' && q.required)) {
    // A fresh key per priming: the example's fixed key with another body is a 422.
    headers.push([
      p.name,
      p.name.toLowerCase() === 'idempotency-key' ? randomUUID() : stringOf(p.example ?? 'x'),
    ]);
  }
  if (op.body) headers.push(['content-type', 'application/json']);
  return {
    operationId: op.operationId,
    method: op.method,
    path,
    headers,
    ...(op.body ? { body: Buffer.from(JSON.stringify(substitute(op.body.example ?? {}))) } : {}),
    notes: ['priming: the documented example'],
  };
}
