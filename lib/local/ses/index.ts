/**
 * Amazon SES (API v2), locally: the npm package `aws-ses-v2-local` (a mail catcher) started
 * in-process on loopback, so functions send email with the real `@aws-sdk/client-sesv2` call
 * through `AWS_ENDPOINT_URL_SESV2` and no AWS account. It keeps every message in memory: a web
 * inbox at `/`, the messages as JSON at `GET /store` (what tests read codes from). It keeps the
 * headers of `Simple` content (List-Unsubscribe...), not those of `Raw` content. Not emulated:
 * identities and their verification, configuration sets and event destinations, the
 * suppression list, sending quotas; the store is one per process (tests tell messages apart
 * by recipient).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../net.ts';
import type { LocalService } from '../services.ts';

/** One message as the mail catcher stores it (the fields this project reads). */
export interface CaughtEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  /** Epoch seconds. */
  readonly at: number;
}

export interface LocalSes extends LocalService {
  /** The web inbox (`npm start` prints it). */
  readonly inboxUrl: string;
  /** Every message as JSON (`readCaughtEmails`): what a process without this object reads. */
  readonly storeUrl: string;
  /** Every message sent so far, oldest first. */
  emails(): Promise<CaughtEmail[]>;
}

type StartServer = (config?: { port?: number; host?: string }) => Promise<Server>;

/** The package is CommonJS with `exports.default`; from ESM that sits under `default.default`. */
async function serverFactory(): Promise<StartServer> {
  const loaded = (await import('aws-ses-v2-local')) as unknown as {
    default: StartServer | { default: StartServer };
  };
  return typeof loaded.default === 'function' ? loaded.default : loaded.default.default;
}

/** Every message a mail catcher holds, oldest first, read from its JSON store (`GET <endpoint>/store`). */
export async function readCaughtEmails(storeUrl: string): Promise<CaughtEmail[]> {
  const res = await fetch(storeUrl);
  if (!res.ok) throw new Error(`The local SES store answered ${res.status}.`);
  return ((await res.json()) as { emails: CaughtEmail[] }).emails;
}

/** Starts the mail catcher on `port` (a free one when omitted) on loopback. */
export async function startLocalSes(options: { port?: number } = {}): Promise<LocalSes> {
  const server = await (await serverFactory())({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    inboxUrl: `${endpoint}/`,
    storeUrl: `${endpoint}/store`,
    functionEnvironment: { AWS_ENDPOINT_URL_SESV2: endpoint },
    emails: () => readCaughtEmails(`${endpoint}/store`),
    stop: () => closeServer(server),
  };
}
