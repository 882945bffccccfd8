import net from 'node:net';

/** What a hook decides for the data it saw: pass it on, or cut the connection there. */
export type Verdict = 'forward' | 'drop';

/**
 * Hooks that see each HTTP exchange going through the proxy, named by its `X-Amz-Target`
 * (`DynamoDB_20120810.TransactWriteItems`...). `request` runs before the request's first bytes go
 * to the server, `response` before the answer's first bytes go back to the client: a test can
 * crash a function at exactly that point, and drop what would have reached the other side.
 */
export interface ExchangeHooks {
  request?(target: string): Verdict | Promise<Verdict>;
  response?(target: string): Verdict | Promise<Verdict>;
}

/**
 * A TCP proxy in front of a server (DynamoDB Local) that a test can make fail the way a network
 * and a database do: `cut()` refuses new connections and resets open ones (DynamoDB unreachable),
 * `restore()` listens again on the same port, `delayMs` holds every answer back (DynamoDB slow),
 * `hooks` intercept chosen exchanges. DynamoDB Local itself keeps running behind it, so its data
 * is all there when the "outage" ends, as a real table's would be.
 */
export interface TcpProxy {
  readonly endpoint: string;
  readonly port: number;
  /** Milliseconds every answer is held back before its first byte is passed on (0: none). */
  delayMs: number;
  hooks: ExchangeHooks;
  /** How many connections the proxy accepted so far. */
  readonly connections: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

const TARGET = /^x-amz-target:\s*(\S+)/im;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a proxy to `target` (`http://host:port`) on a free loopback port. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const open = new Set<net.Socket>();
  let accepted = 0;

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(Number(targetPort), hostname);
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', () => {
        open.delete(socket);
        close();
      });
    }
    // One request at a time per connection (HTTP/1.1 keep-alive): each direction is a queue, so
    // hooks and delays never reorder bytes.
    let target = '';
    let toServer = Promise.resolve();
    let toClient = Promise.resolve();
    let answering = false;
    client.on('data', (chunk: Buffer) => {
      toServer = toServer.then(async () => {
        const named = TARGET.exec(chunk.toString('latin1'))?.[1];
        if (named) {
          target = named;
          answering = false;
          if ((await proxy.hooks.request?.(named)) === 'drop') return close();
        }
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      toClient = toClient.then(async () => {
        if (!answering) {
          answering = true;
          if (proxy.delayMs > 0) await sleep(proxy.delayMs);
          if ((await proxy.hooks.response?.(target)) === 'drop') return close();
        }
        if (!client.destroyed) client.write(chunk);
      });
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      open.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  const proxy: TcpProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    delayMs: 0,
    hooks: {},
    get connections() {
      return accepted;
    },
    cut: close,
    restore: () => (server.listening ? Promise.resolve() : listen(port)),
    stop: close,
  };
  return proxy;
}
