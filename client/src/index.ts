import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/openapi.ts';

export type { components, operations, paths } from './generated/openapi.ts';

type Schemas = components['schemas'];
export type Product = Schemas['Product'];
export type Order = Schemas['Order'];
export type Account = Schemas['Account'];
export type Session = Schemas['Session'];
export type Conversation = Schemas['Conversation'];
export type Message = Schemas['Message'];
export type Problem = Schemas['Problem'];
/** A frame the WebSocket API pushes (`message`, `read`, `pong`, `error`). */
export type ServerFrame = Schemas['ServerFrame'];
/** A frame a WebSocket client may send (`{"type":"ping"}`). */
export type ClientFrame = Schemas['ClientFrame'];

/** The tokens of a signed-in user. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export interface ShopClientOptions {
  /** The API's base URL, e.g. `http://localhost:3000` or `https://api.example.com`. */
  readonly baseUrl: string;
  /** Tokens of an earlier session (e.g. from secure storage). */
  readonly tokens?: Tokens;
  /**
   * Called whenever the tokens change (sign-in, refresh) or are dropped (`undefined`: sign-out,
   * or a refresh the API refused): persist them here.
   */
  readonly onTokens?: (tokens: Tokens | undefined) => void;
  /** The fetch to use (tests, instrumentation); the global one by default. */
  readonly fetch?: typeof fetch;
}

/** A typed client: `api` is openapi-fetch over the generated paths; tokens are attached and refreshed for you. */
export interface ShopClient {
  /** Every operation, typed: `api.GET('/products/{productId}', { params: { path: { productId } } })`. */
  readonly api: Client<paths>;
  /** The current tokens, if signed in. */
  readonly tokens: Tokens | undefined;
  /** Keeps the tokens of a session answered by register, login or refresh. */
  useSession(session: Session): void;
  /** Forgets the tokens (without revoking them; call `POST /auth/logout` for that). */
  forget(): void;
}

// Routes that take no access token, or whose 401 is about their body (bad credentials, a dead
// refresh token): their 401 is final, never a reason to refresh.
const NO_REFRESH = /\/auth\/(?:login|register|refresh|logout)$/;

/**
 * Creates a client. Requests carry `Authorization: Bearer <accessToken>` while signed in; a
 * 401 answered while a refresh token is held triggers one `POST /auth/refresh` (shared by all
 * requests that failed at once) and one retry of the request with the new access token. When
 * the refresh is refused, the tokens are dropped and the original 401 is returned.
 */
export function createShopClient(options: ShopClientOptions): ShopClient {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  let tokens = options.tokens;
  let refreshing: Promise<boolean> | undefined;

  const setTokens = (next: Tokens | undefined) => {
    tokens = next;
    options.onTokens?.(next);
  };

  async function refresh(refreshToken: string): Promise<boolean> {
    const response = await baseFetch(`${baseUrl}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    if (!response.ok) {
      // Someone else may have refreshed meanwhile (another tab); keep newer tokens if so.
      if (tokens?.refreshToken === refreshToken) setTokens(undefined);
      return false;
    }
    const session = (await response.json()) as Session;
    setTokens({ accessToken: session.accessToken, refreshToken: session.refreshToken });
    return true;
  }

  const withToken = (request: Request, accessToken: string | undefined): Request => {
    if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
    return request;
  };

  async function authFetch(input: Request): Promise<Response> {
    // The body can be read once: keep a copy for the retry.
    const retry = input.clone();
    const sent = tokens;
    const response = await baseFetch(withToken(input, sent?.accessToken));
    if (response.status !== 401 || !sent?.refreshToken || NO_REFRESH.test(new URL(input.url).pathname)) {
      return response;
    }
    // Requests that fail together wait for one refresh; a rotated refresh token works once.
    if (tokens === sent) {
      refreshing ??= refresh(sent.refreshToken).finally(() => {
        refreshing = undefined;
      });
      if (!(await refreshing)) return response;
    } else if (refreshing && !(await refreshing)) {
      return response;
    }
    if (!tokens) return response;
    return baseFetch(withToken(retry, tokens.accessToken));
  }

  const api = createClient<paths>({ baseUrl, fetch: authFetch });
  return {
    api,
    get tokens() {
      return tokens;
    },
    useSession: (session) =>
      setTokens({ accessToken: session.accessToken, refreshToken: session.refreshToken }),
    forget: () => setTokens(undefined),
  };
}
