import path from 'node:path';
import type { ShopBackend } from '../demo/backend-hooks.ts';
import type { LocalAdmin } from '../demo/seed.ts';
import { lanUrls, listensOnNetwork, type StartSettings } from './settings.ts';

/** What the ready banner tells: where everything is, and how to sign in. */
export interface ReadyFacts {
  readonly backend: ShopBackend;
  readonly settings: StartSettings;
  readonly admin: LocalAdmin;
  readonly dataDir: string | undefined;
  readonly seconds: number;
  /** Steps of the start before the backend's own (`backend.startupMs`), in ms. */
  readonly startupMs?: Readonly<Record<string, number>>;
}

/** The addresses other machines use when the APIs listen on the network (none on loopback). */
function networkUrls({ backend, settings }: ReadyFacts): { api: string[]; webSocket: string[] } {
  if (!listensOnNetwork(settings.host)) return { api: [], webSocket: [] };
  if (settings.host !== '0.0.0.0' && settings.host !== '::') {
    return {
      api: [`http://${settings.host}:${settings.port}`],
      webSocket: backend.webSocketUrl ? [`ws://${settings.host}:${settings.webSocketPort}/local`] : [],
    };
  }
  const stage = backend.webSocketUrl ? new URL(backend.webSocketUrl).pathname : '';
  return {
    api: lanUrls('http', settings.port),
    webSocket: backend.webSocketUrl ? lanUrls('ws', settings.webSocketPort, stage) : [],
  };
}

/** The banner as one JSON object (`--log-format json`). */
export function readyRecord(facts: ReadyFacts): Record<string, unknown> {
  const { backend, admin } = facts;
  const network = networkUrls(facts);
  return {
    timestamp: new Date().toISOString(),
    level: 'INFO',
    source: 'npm start',
    message: `Shop API (local) ready in ${facts.seconds.toFixed(1)} s`,
    api: backend.url,
    webSocket: backend.webSocketUrl,
    ...(network.api.length ? { network: network.api, networkWebSocket: network.webSocket } : {}),
    openapi: `${backend.url}/openapi.json`,
    docs: `${backend.url}/docs`,
    dynamodb: backend.dynamodbEndpoint,
    secretsManager: backend.secretsEndpoint,
    sqs: backend.sqs.endpoint,
    s3: backend.s3.endpoint,
    mailInbox: backend.ses.inboxUrl,
    admin: admin.email,
    data: facts.dataDir ?? 'in memory',
    // Where the start's time went (npm run bench -- --only dev-loop reads it).
    startupMs: { ...facts.startupMs, ...backend.startupMs },
  };
}

/** The banner for people. */
export function readyText(facts: ReadyFacts): string {
  const { backend, admin, dataDir } = facts;
  const network = networkUrls(facts);
  const consumers =
    backend.streams.mappings.map((m) => m.functionLogicalId.replace(/ConsumerFunction.*$/, '')).join(', ') ||
    '(none)';
  const networkLines = network.api.length
    ? [
        `  On your network: ${network.api.join(', ')}   WebSocket: ${network.webSocket.join(', ') || '(none)'}`,
        '                  (anyone on this network can reach it, seeded accounts included)',
      ]
    : [];
  return `
Shop API (local) ready in ${facts.seconds.toFixed(1)} s
  API:            ${backend.url}
  WebSocket:      ${backend.webSocketUrl ?? '(none)'}   (subprotocols: shop.v1, <access token>)
${networkLines.map((line) => `${line}\n`).join('')}  Reference:      ${backend.url}/docs   (OpenAPI: ${backend.url}/openapi.json)
  DynamoDB Local: ${backend.dynamodbEndpoint}
  Secrets (local Secrets Manager): ${backend.secretsEndpoint}
  SQS (dead-letter queues): ${backend.sqs.endpoint}
  S3 (image uploads, renditions): ${backend.s3.endpoint}
  Mail (local SES inbox): ${backend.ses.inboxUrl}   (every email the shop sends; JSON: ${backend.ses.endpoint}/store)
  Stream consumers: ${consumers}
  Data:           ${dataDir ? `${path.relative(process.cwd(), dataDir)} (kept; npm start -- --reset wipes it)` : 'in memory (gone on exit)'}
  Try:            curl ${backend.url}/products?limit=3
                  curl '${backend.url}/products/popular?window=7d&limit=5'
  Sign in:        curl -s ${backend.url}/auth/login -H 'content-type: application/json' \\
                    -d '{"email":"${admin.email}","password":"${admin.password}"}'
Press Ctrl+C to stop.
`;
}
