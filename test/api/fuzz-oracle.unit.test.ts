import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createContract } from '../../lib/api/contract.ts';
import { judge } from '../../lib/fuzz/oracle.ts';
import { curlCommand, describeFailure, fuzz } from '../../lib/fuzz/runner.ts';
import { DOCUMENT } from '../support/contract.ts';

const contract = createContract(DOCUMENT);
const PRODUCT_URL = 'http://localhost:3000/products/01KDVDNA00AA3S80T672BC3QYS';
const get = { method: 'GET', url: PRODUCT_URL };
const problem = (status: number, type: string) =>
  JSON.stringify({ type, title: 'x', status, detail: 'x', instance: 'r-1' });

describe('the fuzzer oracle', () => {
  it('passes a documented problem', () => {
    expect(
      judge(contract, get, {
        status: 404,
        contentType: 'application/problem+json',
        text: problem(404, '/problems/not-found'),
      }),
    ).toEqual([]);
  });

  it('fails a success for a request the document refuses: a body on a route without one, a lenient integer', () => {
    const product = JSON.stringify({
      id: '01KDVDNA00AA3S80T672BC3QYS',
      name: 'x',
      description: '',
      category: 'home',
      price: 1,
      currency: 'EUR',
      stock: 1,
      createdAt: '2026-01-15T09:30:00.000Z',
      updatedAt: '2026-01-15T09:30:00.000Z',
    });
    const ok = { status: 200, contentType: 'application/json', text: product };
    expect(judge(contract, { ...get, headers: [], body: Buffer.from('{"a":1}') }, ok).join()).toMatch(
      /accepted a body/,
    );
    const page = { status: 200, contentType: 'application/json', text: '{"items":[],"nextCursor":null}' };
    const list = { method: 'GET', url: 'http://localhost:3000/products?limit=0x10', headers: [] };
    expect(judge(contract, list, page).join()).toMatch(/accepted query\.limit="0x10"/);
    expect(judge(contract, { ...list, url: 'http://localhost:3000/products?limit=16' }, page)).toEqual([]);
  });

  it('fails any 5xx, even one the document lists', () => {
    const problems = judge(contract, get, {
      status: 500,
      contentType: 'application/problem+json',
      text: problem(500, '/problems/internal-error'),
    });
    expect(problems).toEqual([expect.stringMatching(/answered 500: a server error/)]);
  });

  it("fails API Gateway's own 500 and 503", () => {
    for (const status of [500, 503]) {
      expect(
        judge(contract, get, { status, contentType: 'application/json', text: '{"message":"x"}' }),
      ).toContainEqual(expect.stringMatching(/a server error/));
    }
  });

  it('fails a 4xx that is not problem+json', () => {
    const problems = judge(contract, get, { status: 400, contentType: 'text/html', text: '<h1>Bad</h1>' });
    expect(problems).toContainEqual(expect.stringMatching(/as 'text\/html', not application\/problem\+json/));
  });

  it("accepts API Gateway's own JSON only where the document lists it", () => {
    const gateway = { contentType: 'application/json', text: '{"message":"Request Entity Too Large"}' };
    expect(judge(contract, get, { status: 413, ...gateway })).toEqual([]);
    expect(judge(contract, get, { status: 404, ...gateway })).toContainEqual(
      expect.stringMatching(/the document says application\/problem\+json/),
    );
  });

  it('fails a status the operation does not document', () => {
    expect(
      judge(contract, get, {
        status: 409,
        contentType: 'application/problem+json',
        text: problem(409, '/problems/conflict'),
      }),
    ).toContainEqual(expect.stringMatching(/answered 409, which the document does not list/));
  });

  it('fails a body that breaks the schema, and no answer at all', () => {
    expect(
      judge(contract, get, { status: 200, contentType: 'application/json', text: '{"id":1}' }).length,
    ).toBeGreaterThan(0);
    expect(judge(contract, get, { status: 0, contentType: '', text: '', error: 'read ECONNRESET' })).toEqual([
      'no answer: read ECONNRESET',
    ]);
  });

  it('prints a failure with the request, a curl line and the replay command', () => {
    const request = {
      operationId: 'getProduct',
      method: 'POST',
      path: "/products/..%2F'%00",
      headers: [
        ['authorization', 'Bearer x'],
        ['x-fuzz', 'caf\u00c3\u00a9'],
      ] as const,
      body: Buffer.from([0x7b, 0xff, 0x00]),
      notes: ['path: raw evil id'],
    };
    const text = describeFailure({
      index: 17,
      seed: 42,
      request,
      url: `http://localhost:3000${request.path}`,
      response: { status: 500, contentType: 'application/json', text: '{"message":"Internal Server Error"}' },
      problems: ['answered 500: a server error'],
    });
    expect(text).toContain('seed 42, request #17');
    expect(text).toContain('npm run fuzz -- --seed 42 --only 17');
    expect(curlCommand(`http://localhost:3000${request.path}`, request)).toBe(
      "printf %s e/8A | base64 -d | curl -i --path-as-is -X POST 'http://localhost:3000/products/..%2F'\\''%00' -H 'authorization: Bearer x' -H $'x-fuzz: caf\\xc3\\xa9' --data-binary @-",
    );
  });
});

describe('the fuzzer against a broken API', () => {
  it('reports every request a crashing API answers with a 500, with its reproduction', async () => {
    // Serves the real document and signs anyone in; every other request crashes.
    const server = http.createServer((req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/openapi.json') return json(200, DOCUMENT);
      if (req.method === 'POST' && (req.url === '/auth/register' || req.url === '/auth/login')) {
        return json(200, { accessToken: 'token', refreshToken: 'refresh', user: { id: 'u' } });
      }
      return json(500, { message: 'Internal Server Error' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const report = await fuzz({
        baseUrl: `http://127.0.0.1:${port}`,
        admin: { email: 'admin@example.com', password: 'x' },
        runs: 50,
        seed: 1,
        concurrency: 2,
      });
      const crashes = report.failures.filter((f) => f.problems.some((p) => /answered 500/.test(p)));
      // Only a request the gateway would refuse first (oversized) or the fake routes escapes a 500.
      expect(crashes.length).toBeGreaterThan(40);
      expect(describeFailure(crashes[0] as (typeof crashes)[number])).toMatch(
        /seed 1, request #\d+[\s\S]*curl -i --path-as-is[\s\S]*npm run fuzz -- --seed 1 --only \d+/,
      );
    } finally {
      server.close();
    }
  });
});
