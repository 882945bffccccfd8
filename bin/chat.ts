// `npm run chat`: a terminal chat client for the local (or a deployed) backend, to watch real-time
// delivery from two terminals. Signs up (or in), opens the WebSocket with the access token as a
// subprotocol, prints every frame it receives, and sends each line typed as a message over HTTP.
// `npm run chat -- --help` lists the options.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { readCommandLine } from '../lib/cli/command-line.ts';

const { values } = readCommandLine({
  command: 'npm run chat',
  summary:
    'A terminal chat client: signs up (or in), opens the WebSocket, prints every frame it receives and ' +
    'sends each line typed as a message.',
  options: {
    api: {
      type: 'string',
      placeholder: '<url>',
      default: process.env.API_URL ?? 'http://localhost:3000',
      describe: 'the HTTP API (API_URL)',
    },
    ws: {
      type: 'string',
      placeholder: '<url>',
      default: process.env.WS_URL ?? 'ws://localhost:3001/local',
      describe: 'the WebSocket API (WS_URL)',
    },
    name: {
      type: 'string',
      placeholder: '<name>',
      default: 'chatter',
      describe: 'display name of a new account',
    },
    email: {
      type: 'string',
      placeholder: '<email>',
      describe: 'sign in to this account instead of registering one',
    },
    password: { type: 'string', placeholder: '<password>', describe: 'its password' },
    to: { type: 'string', placeholder: '<userId>', describe: 'start a conversation with this user' },
  },
  notes: [
    "terminal 1: npm run chat -- --name alice                 (prints alice's user id)",
    "terminal 2: npm run chat -- --name bob --to <alice's id>",
  ],
});
const api = values.api.replace(/\/$/, '');

interface Session {
  user: { id: string; displayName: string };
  accessToken: string;
}
interface Frame {
  type: string;
  conversationId?: string;
  message?: { id: string; senderId: string | null; body: string; createdAt: string };
  userId?: string;
  lastReadId?: string | null;
  unreadCount?: number;
  title?: string;
}

async function request(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.detail ?? json.title ?? text}`);
  return json;
}

async function signIn(): Promise<Session> {
  if (values.email) {
    if (!values.password) throw new Error('--email needs --password.');
    return (await request('POST', '/auth/login', {
      email: values.email,
      password: values.password,
    })) as unknown as Session;
  }
  const email = `${values.name}-${randomUUID().slice(0, 8)}@example.com`;
  return (await request('POST', '/auth/register', {
    email,
    password: values.password ?? `chat-${randomUUID()}`,
    displayName: values.name,
  })) as unknown as Session;
}

const session = await signIn();
const me = session.user.id;
let conversationId: string | undefined;
if (values.to) {
  conversationId = String(
    (await request('POST', '/conversations', { participantId: values.to }, session.accessToken)).id,
  );
}

const socket = new WebSocket(values.ws, ['shop.v1', session.accessToken]);
const seen = new Set<string>();
socket.addEventListener('message', (event) => {
  const frame = JSON.parse(String(event.data)) as Frame;
  if (frame.type === 'message' && frame.message) {
    // Delivery is at least once: a client dedupes by message id.
    if (seen.has(frame.message.id)) return;
    seen.add(frame.message.id);
    if (frame.message.senderId === me) return;
    conversationId ??= frame.conversationId;
    console.log(`< ${frame.message.body}    (${frame.conversationId}, from ${frame.message.senderId})`);
    if (frame.conversationId) {
      void request(
        'POST',
        `/conversations/${frame.conversationId}/read`,
        { upTo: frame.message.id },
        session.accessToken,
      ).catch((error: Error) => console.error(error.message));
    }
  } else if (frame.type === 'read' && frame.userId !== me) {
    console.log(`  (read by ${frame.userId} up to ${frame.lastReadId})`);
  } else if (frame.type !== 'read' && frame.type !== 'pong') {
    console.log(`  frame: ${JSON.stringify(frame)}`);
  }
});
socket.addEventListener('close', (event) => {
  console.log(`WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ''}).`);
  process.exit(event.code === 1000 ? 0 : 1);
});
socket.addEventListener('error', () => {
  console.error(`Could not connect to ${values.ws} (is \`npm start\` running?).`);
  process.exit(1);
});
socket.addEventListener('open', () => {
  console.log(`Signed in as ${session.user.displayName}, user id ${me}; connected to ${values.ws}.`);
  console.log(
    conversationId
      ? `Type a message and press Enter to send it to ${values.to}.`
      : 'Waiting for a message; your replies go to whoever wrote last.',
  );
  // API Gateway closes a socket idle for 10 minutes; a ping keeps it open.
  setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), 5 * 60_000).unref();
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const body = line.trim();
  if (!body) return;
  if (!conversationId) {
    console.log('  (nobody to send to yet: start with --to <userId> or wait for a message)');
    return;
  }
  request(
    'POST',
    `/conversations/${conversationId}/messages`,
    { body, clientMessageId: randomUUID() },
    session.accessToken,
  ).catch((error: Error) => console.error(error.message));
});
lines.on('close', () => socket.close(1000));
