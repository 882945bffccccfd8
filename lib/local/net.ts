import type http from 'node:http';
import net from 'node:net';

/** A free TCP port on the loopback interface, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Listens on `port` (a free one when 0 or omitted) and resolves with the port it got. */
export async function listen(server: http.Server, port: number | undefined, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** Drops every connection (keep-alive ones too) and resolves once the server is closed. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A request's whole body. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Whether `port` can be listened on at `host` now: false when another process holds it
 * (`EADDRINUSE`). An address this machine does not have (`::1` without IPv6) counts as free,
 * since nothing can hold it; any other refusal (`EACCES` below 1024) is thrown.
 */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') resolve(true);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The loopback addresses a browser may try for `localhost`: both, so a dev server on `[::1]` is seen too. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

/** One port a backend wants, and the variable that chose it (what a user changes to pick another). */
export interface WantedPort {
  readonly variable: string;
  readonly port: number;
}

/**
 * The wanted ports some other process already holds, checked on `host` (and, for a loopback or
 * all-interfaces host, on both loopback addresses), before anything starts listening.
 */
export async function takenPorts(wanted: readonly WantedPort[], host = '127.0.0.1'): Promise<WantedPort[]> {
  const hosts = host === '127.0.0.1' || host === 'localhost' ? LOOPBACK_HOSTS : [host, ...LOOPBACK_HOSTS];
  const taken: WantedPort[] = [];
  for (const entry of wanted) {
    for (const address of hosts) {
      if (!(await isPortFree(entry.port, address))) {
        taken.push(entry);
        break;
      }
    }
  }
  return taken;
}
