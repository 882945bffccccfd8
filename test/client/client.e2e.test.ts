import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJourney } from '../../client/examples/journey.ts';
import { createShopClient, type Tokens } from '../../client/src/index.ts';
import type { Session } from '../support/accounts-api.ts';
import { assertContract } from '../support/contract.ts';
import { useShop } from '../support/shop.ts';

/** A fetch that holds every answer to the OpenAPI contract and counts the calls per path. */
function checkedFetch(calls: string[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    calls.push(`${request.method} ${new URL(request.url).pathname}`);
    const response = await fetch(request);
    assertContract({
      method: request.method,
      url: request.url,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.clone().text(),
    });
    return response;
  };
}

describe('the typed client (client/) against the local API', () => {
  const shop = useShop();
  afterAll(() => shop.backend?.stop());

  it('runs the example journey: register, browse, order, pay through 3-D Secure, message and read', async () => {
    const lines: string[] = [];
    const result = await runJourney(shop.api, (line) => lines.push(line));
    expect(result.order.status).toBe('paid');
    expect(result.friendUnreadAfterReading).toBe(0);
    expect(lines.join('\n')).toMatch(
      /3-D Secure: authenticating at http:\/\/localhost:\d+\/simulated-payments\//,
    );
    expect(lines.join('\n')).toMatch(/paid with pm_card_threeDSecure2Required/);
  });

  describe('token refresh', () => {
    let session: Session;
    beforeAll(async () => {
      session = await shop.accounts.newCustomer('refresh');
    });

    it('answers a 401 by refreshing once and repeating the request with the new access token', async () => {
      const calls: string[] = [];
      const saved: (Tokens | undefined)[] = [];
      const client = createShopClient({
        baseUrl: shop.api,
        tokens: { accessToken: 'expired.or.garbage', refreshToken: session.refreshToken },
        onTokens: (tokens) => saved.push(tokens),
        fetch: checkedFetch(calls),
      });
      const me = await client.api.GET('/me');
      expect(me.response.status).toBe(200);
      expect(me.data?.id).toBe(session.user.id);
      expect(calls).toEqual(['GET /me', 'POST /auth/refresh', 'GET /me']);
      expect(saved).toHaveLength(1);
      expect(saved[0]?.refreshToken).not.toBe(session.refreshToken);
      expect(client.tokens).toEqual(saved[0]);
      // The old refresh token was rotated away: it cannot be used again.
      expect((await shop.accounts.refresh(session.refreshToken)).status).toBe(401);
    });

    it('refreshes once for several requests that failed together', async () => {
      const fresh = await shop.accounts.newCustomer('together');
      const calls: string[] = [];
      const client = createShopClient({
        baseUrl: shop.api,
        tokens: { accessToken: 'expired', refreshToken: fresh.refreshToken },
        fetch: checkedFetch(calls),
      });
      const answers = await Promise.all([
        client.api.GET('/me'),
        client.api.GET('/me/preferences'),
        client.api.GET('/orders'),
      ]);
      expect(answers.map((answer) => answer.response.status)).toEqual([200, 200, 200]);
      expect(calls.filter((call) => call === 'POST /auth/refresh')).toHaveLength(1);
    });

    it('keeps the 401 and drops the tokens when the refresh token is refused', async () => {
      const calls: string[] = [];
      const saved: (Tokens | undefined)[] = [];
      const client = createShopClient({
        baseUrl: shop.api,
        tokens: { accessToken: 'expired', refreshToken: 'not-a-refresh-token' },
        onTokens: (tokens) => saved.push(tokens),
        fetch: checkedFetch(calls),
      });
      const me = await client.api.GET('/me');
      expect(me.response.status).toBe(401);
      expect(calls).toEqual(['GET /me', 'POST /auth/refresh']);
      expect(saved).toEqual([undefined]);
      expect(client.tokens).toBeUndefined();
    });

    it('never refreshes on a failed sign-in', async () => {
      const calls: string[] = [];
      const client = createShopClient({
        baseUrl: shop.api,
        tokens: { accessToken: 'expired', refreshToken: session.refreshToken },
        fetch: checkedFetch(calls),
      });
      const login = await client.api.POST('/auth/login', {
        body: { email: session.user.email, password: 'wrong password, clearly' },
      });
      expect(login.response.status).toBe(401);
      expect(login.error).toMatchObject({ type: '/problems/invalid-credentials' });
      expect(calls).toEqual(['POST /auth/login']);
    });
  });
});
