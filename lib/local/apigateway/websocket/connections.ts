import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';

/** Who connected, known before the handshake is accepted. */
export interface ConnectionIdentity {
  readonly id: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
}

/** An open connection of the WebSocket API. */
export interface Connection extends ConnectionIdentity {
  readonly socket: WebSocket;
  lastActiveAt: number;
  readonly authorizer?: Record<string, unknown>;
  /** How the server closed it (idle, overlong, DELETE), reported to `$disconnect` over the socket's own code. */
  closing?: { code: number; reason: string };
  timers: NodeJS.Timeout[];
}

/** A connection id shaped like API Gateway's (16 characters, ending in `=`). */
export const newConnectionId = () =>
  `${randomBytes(11).toString('base64').slice(0, 15).replace(/[+/]/g, 'A')}=`;

/** Closes a connection as API Gateway does at its idle or duration limit (1001), telling `$disconnect` why. */
function goAway(connection: Connection): void {
  connection.closing = { code: 1001, reason: 'Going away' };
  connection.socket.close(1001, 'Going away');
}

/** The open connections of a WebSocket API, by id, with the limits API Gateway puts on each. */
export class ConnectionRegistry {
  private readonly connections = new Map<string, Connection>();

  get size(): number {
    return this.connections.size;
  }

  get(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  all(): Connection[] {
    return [...this.connections.values()];
  }

  /** Registers a new connection, closed when idle for `idleMs` or open for `maxMs` (1001 Going away). */
  add(connection: Connection, limits: { idleMs: number; maxMs: number }): void {
    this.connections.set(connection.id, connection);
    const { idleMs, maxMs } = limits;
    const idleCheck = () => {
      const idleFor = Date.now() - connection.lastActiveAt;
      if (idleFor >= idleMs) goAway(connection);
      else connection.timers.push(setTimeout(idleCheck, idleMs - idleFor).unref());
    };
    connection.timers.push(setTimeout(idleCheck, idleMs).unref());
    connection.timers.push(setTimeout(() => goAway(connection), maxMs).unref());
  }

  /** Forgets a connection and its timers; false when it was gone already. */
  remove(connection: Connection): boolean {
    if (!this.connections.delete(connection.id)) return false;
    for (const timer of connection.timers) clearTimeout(timer);
    return true;
  }
}
