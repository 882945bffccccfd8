import { networkInterfaces } from 'node:os';
import { takenPorts, type WantedPort } from '../local/net.ts';

/** What `npm start` reads from its environment, checked before anything starts. */
export interface StartSettings {
  readonly port: number;
  readonly webSocketPort: number;
  readonly dynamodbPort?: number;
  readonly secretsPort?: number;
  readonly sqsPort?: number;
  /**
   * Port of the local S3: fixed (4569 by default), since products keep the URLs of their
   * renditions, which must still work after a restart with the kept data.
   */
  readonly s3Port: number;
  readonly sesPort?: number;
  /** The interface the APIs listen on (`127.0.0.1` unless HOST or --host says otherwise). */
  readonly host: string;
  /** LOCAL_CORS_ORIGINS: origins allowed on top of the local environment's CORS origins. */
  readonly extraCorsOrigins: readonly string[];
}

/** The variables `npm start` reads, for `--help`. */
export const START_ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['PORT', 'port of the HTTP API (default 3000)'],
  ['WS_PORT', 'port of the WebSocket API (default 3001)'],
  ['HOST', 'interface the APIs listen on (default 127.0.0.1; 0.0.0.0: every one, see --host)'],
  [
    'LOCAL_CORS_ORIGINS',
    'comma-separated origins CORS allows on top of the local config (http://localhost:5173)',
  ],
  ['DYNAMODB_PORT', 'port of DynamoDB Local (default: a free one)'],
  ['SECRETS_PORT', 'port of the local Secrets Manager (default: a free one)'],
  ['SQS_PORT', 'port of the local SQS (default: a free one)'],
  ['S3_PORT', 'port of the local S3 and image URLs (default 4569)'],
  ['SES_PORT', 'port of the local SES, the mail catcher and its inbox (default: a free one)'],
  ['LOCAL_STATE_DIR', 'where data, the synthesized app and runtime.json are kept (default .local)'],
  ['LOCAL_ADMIN_EMAIL', 'the seeded admin account (with LOCAL_ADMIN_PASSWORD; on a fresh --reset)'],
];

/** A setting `npm start` cannot start with: the message names the variable and what to do. */
export class StartSettingsError extends Error {
  override readonly name = 'StartSettingsError';
}

function portFrom(env: NodeJS.ProcessEnv, variable: string, fallback?: number): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StartSettingsError(`${variable} must be a port number from 1 to 65535, got "${raw}".`);
  }
  return port;
}

/** An origin as browsers send it: scheme, host and port only (`http://localhost:5173`). */
function originFrom(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StartSettingsError(
      `LOCAL_CORS_ORIGINS: "${value}" is not an origin; give scheme, host and port, e.g. http://localhost:5173.`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw new StartSettingsError(
      `LOCAL_CORS_ORIGINS: "${value}" is not an origin (no path, query or credentials); e.g. http://localhost:5173.`,
    );
  }
  return url.origin;
}

/** Reads and checks the environment (and `--host`, which wins over HOST). */
export function startSettings(env: NodeJS.ProcessEnv, hostOption?: string): StartSettings {
  const port = portFrom(env, 'PORT', 3000) as number;
  const webSocketPort = portFrom(env, 'WS_PORT', 3001) as number;
  if (port === webSocketPort) {
    throw new StartSettingsError(
      `PORT and WS_PORT are both ${port}; give the WebSocket API another, e.g. WS_PORT=${port + 1}.`,
    );
  }
  const host = (hostOption ?? env.HOST ?? '').trim() || '127.0.0.1';
  const extraCorsOrigins = (env.LOCAL_CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map(originFrom);
  return {
    port,
    webSocketPort,
    dynamodbPort: portFrom(env, 'DYNAMODB_PORT'),
    secretsPort: portFrom(env, 'SECRETS_PORT'),
    sqsPort: portFrom(env, 'SQS_PORT'),
    s3Port: portFrom(env, 'S3_PORT', 4569) as number,
    sesPort: portFrom(env, 'SES_PORT'),
    host,
    extraCorsOrigins,
  };
}

/** Every fixed port of the settings, with the variable that set it. */
export function wantedPorts(settings: StartSettings): WantedPort[] {
  const optional: [string, number | undefined][] = [
    ['DYNAMODB_PORT', settings.dynamodbPort],
    ['SECRETS_PORT', settings.secretsPort],
    ['SQS_PORT', settings.sqsPort],
    ['SES_PORT', settings.sesPort],
  ];
  return [
    { variable: 'PORT', port: settings.port },
    { variable: 'WS_PORT', port: settings.webSocketPort },
    { variable: 'S3_PORT', port: settings.s3Port },
    ...optional.flatMap(([variable, port]) => (port === undefined ? [] : [{ variable, port }])),
  ];
}

/**
 * Fails when another process holds a port `npm start` needs, before DynamoDB Local or the
 * synthesis start: the message names each variable and how to choose another port.
 */
export async function assertPortsFree(settings: StartSettings): Promise<void> {
  const taken = await takenPorts(wantedPorts(settings), settings.host);
  if (taken.length === 0) return;
  const lines = taken.map(
    ({ variable, port }) =>
      `  ${variable}=${port}: port ${port} is in use by another process (another npm start? a dev server?).`,
  );
  const example = taken.map(({ variable, port }) => `${variable}=${port + 100}`).join(' ');
  throw new StartSettingsError(
    [
      `Cannot start: ${taken.length === 1 ? 'a port is' : 'ports are'} taken.`,
      ...lines,
      `Stop what holds ${taken.length === 1 ? 'it' : 'them'}, or choose another: ${example} npm start`,
    ].join('\n'),
  );
}

/** `http://192.168.1.20:3000` for each external IPv4 address of this machine: what a phone on the network uses. */
export function lanUrls(scheme: 'http' | 'ws', port: number, suffix = ''): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === 'IPv4' && !address.internal)
    .map((address) => `${scheme}://${address?.address}:${port}${suffix}`);
}

/** Whether the APIs listen beyond this machine (every interface, or one that is not loopback). */
export const listensOnNetwork = (host: string): boolean => !['127.0.0.1', 'localhost', '::1'].includes(host);
