import { declareEnv, url, whenSet } from '../core/config.ts';
import { escapeHtml } from '../core/html.ts';
import { http } from '../core/http.ts';

/**
 * Only our own files may run or style the page, and the page may only talk to its own origin
 * (the API it documents): "try it" works, injected or third-party code does not.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The WebSocket API of the deployment serving the page (`wss://.../<stage>`; locally `ws://localhost:<port>/local`). */
export const WEBSOCKET_URL = 'WEBSOCKET_URL';
/**
 * A seeded account for the page's sign-in example, as JSON `{account, email, password}`: set
 * only where accounts are seeded (the local runtime); a deployed environment has none, so its
 * page shows no credentials.
 */
export const DOCS_SIGN_IN_EXAMPLE = 'DOCS_SIGN_IN_EXAMPLE';
declareEnv(WEBSOCKET_URL, url, whenSet(WEBSOCKET_URL));
declareEnv(
  DOCS_SIGN_IN_EXAMPLE,
  (value) => (signInExample(value) ? undefined : 'expected JSON {account, email, password}'),
  whenSet(DOCS_SIGN_IN_EXAMPLE),
);

interface SignInExample {
  readonly account: string;
  readonly email: string;
  readonly password: string;
}

function signInExample(value: string | undefined): SignInExample | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<SignInExample>;
    const { account, email, password } = parsed;
    return typeof account === 'string' && typeof email === 'string' && typeof password === 'string'
      ? { account, email, password }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The page's own header: where the APIs are, and (locally) whom to sign in as. docs.js reads the data attributes. */
function intro(webSocketUrl: string | undefined, example: SignInExample | undefined): string {
  const attributes = [
    webSocketUrl ? ` data-websocket-url="${escapeHtml(webSocketUrl)}"` : '',
    example ? ` data-sign-in-email="${escapeHtml(example.email)}"` : '',
    example ? ` data-sign-in-password="${escapeHtml(example.password)}"` : '',
  ].join('');
  const webSocket = webSocketUrl
    ? `<code id="websocket-url">${escapeHtml(webSocketUrl)}</code> (subprotocols <code>shop.v1</code> and the access token)`
    : 'the <code>WebSocketUrl</code> output of the API stack';
  const signIn = example
    ? `<p id="sign-in-example">Local environment: <code>POST /auth/login</code> is filled in with ${escapeHtml(example.account)}, <code>${escapeHtml(example.email)}</code> / <code>${escapeHtml(example.password)}</code>, seeded by <code>npm start</code>; paste the <code>accessToken</code> it answers under <b>Authorize</b>.</p>`
    : '';
  return `<header id="intro" class="docs-intro"${attributes}>
      <h1>Shop API reference</h1>
      <p>Every operation first; the overview (authentication, errors and all problem types, headers, real time) and the schemas follow them.</p>
      <p>WebSocket API: ${webSocket}.</p>
      ${signIn}
    </header>`;
}

// Relative URLs, so the page works under any origin and stage path (`/docs` -> `docs/...`).
function page(webSocketUrl: string | undefined, example: SignInExample | undefined): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Shop API reference</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="docs/swagger-ui.css">
    <link rel="stylesheet" href="docs/docs.css">
  </head>
  <body>
    ${intro(webSocketUrl, example)}
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/docs.js"></script>
  </body>
</html>
`;
}

let rendered: string | undefined;

/** GET /docs: the interactive API reference (Swagger UI over /openapi.json), under a strict CSP. */
export const handler = http(async () => {
  rendered ??= page(process.env[WEBSOCKET_URL], signInExample(process.env[DOCS_SIGN_IN_EXAMPLE]));
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': DOCS_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'public, max-age=300',
    },
    body: rendered,
  };
});
