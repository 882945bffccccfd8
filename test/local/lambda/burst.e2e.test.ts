import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../functions/messages/model.ts';
import { LOCAL_THROTTLE_HEADER } from '../../../lib/local/apigateway/http/server.ts';
import { DEFAULT_RUNTIME_LIMITS } from '../../../lib/local/lambda/limits.ts';
import { bearer, type Session } from '../../support/accounts-api.ts';
import { functionOf } from '../../support/forged-tokens.ts';
import { useShop } from '../../support/shop.ts';

const BURST = 100;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
  readonly replayed: boolean;
  /** The local runtime's note on a throttle: which limit, and its setting. */
  readonly throttle: string | null;
}

/** One send with raw fetch: the burst counts every status, documented or not. */
async function send(
  api: string,
  token: string,
  conversationId: string,
  clientMessageId: string,
): Promise<Answer> {
  const res = await fetch(`${api}/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify({ body: `burst ${clientMessageId}`, clientMessageId }),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    replayed: res.headers.get('idempotent-replayed') === 'true',
    throttle: res.headers.get(LOCAL_THROTTLE_HEADER),
  };
}

const countsOf = (answers: readonly Answer[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

describe('a burst of parallel sends to one cold function through the local API', () => {
  // Its own backend: the test counts the function's environments.
  const shop = useShop({ own: true });
  let alice: Session;
  let conversationId: string;

  beforeAll(async () => {
    const [a, bob] = await Promise.all([
      shop.accounts.newCustomer('alice'),
      shop.accounts.newCustomer('bob'),
    ]);
    alice = a;
    conversationId = (await shop.messages.started(alice.accessToken, { participantId: bob.user.id })).id;
  });

  it(`answers ${BURST} parallel sends only with 201 or 429, and every 201 is a stored message`, async () => {
    const ids = Array.from({ length: BURST }, () => randomUUID());
    const answers = await Promise.all(ids.map((id) => send(shop.api, alice.accessToken, conversationId, id)));
    const counts = countsOf(answers);
    const environments = functionOf(shop.backend, 'MessagesSendMessage').instanceCount;
    const throttles = answers.filter((a) => a.throttle).length;
    console.log(
      `[burst] ${BURST} parallel sends to a cold function: ${JSON.stringify(counts)} (${throttles} local throttles), ${environments} environments`,
    );
    // One machine is not Lambda's fleet: the burst waits for a few environments instead of
    // starting one per request (which starved them all of CPU and timed them out).
    expect(environments).toBeLessThanOrEqual(DEFAULT_RUNTIME_LIMITS.functionConcurrency);
    const others = answers.filter((a) => a.status !== 201 && a.status !== 429);
    expect(others.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    expect(counts[201] ?? 0).toBeGreaterThan(0);
    // A 429 is the route's own limit (30 messages a minute: a problem), or a throttle of the
    // local Lambda service (API Gateway's own body, plus which limit refused it).
    for (const refused of answers.filter((a) => a.status === 429)) {
      if (refused.throttle) {
        expect(refused.body).toEqual({ message: 'Too Many Requests' });
      } else {
        expect(refused.contentType).toBe('application/problem+json');
        expect(refused.body).toMatchObject({ status: 429, type: expect.stringMatching(/rate-limited$/) });
      }
    }

    // Every 201 is a stored message, and nothing else was stored.
    const stored = await shop.messages.allMessages(alice.accessToken, conversationId);
    const answered = answers.filter((a) => a.status === 201).map((a) => (a.body as unknown as Message).id);
    expect(stored.map((m) => m.id).sort()).toEqual([...answered].sort());

    // A client retrying every send (same clientMessageId) gets the stored message again, never a double.
    const sent = ids.filter((_, i) => answers[i]?.status === 201);
    const retries = await Promise.all(
      sent.map((id) => send(shop.api, alice.accessToken, conversationId, id)),
    );
    expect(retries.map((r) => [r.status, r.replayed])).toEqual(sent.map(() => [201, true]));
    const after = await shop.messages.allMessages(alice.accessToken, conversationId);
    expect(after).toHaveLength(stored.length);
  }, 240_000);
});
