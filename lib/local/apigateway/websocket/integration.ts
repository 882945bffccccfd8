import { randomUUID } from 'node:crypto';
import type { LocalFunction } from '../../lambda/function.ts';
import type { InvokeOutcome } from '../../lambda/outcome.ts';
import type { ConnectionIdentity } from './connections.ts';
import type { WebSocketApiDefinition } from './definition.ts';

function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * The Lambda integrations of a WebSocket API: the functions behind its routes and authorizer,
 * the `requestContext` every event carries, and the invocations in flight (so a server can
 * wait for its `$disconnect` invocations before it stops).
 */
export class WebSocketIntegration {
  readonly api: WebSocketApiDefinition;
  readonly log: (line: string) => void;
  private readonly functions: ReadonlyMap<string, LocalFunction>;
  private readonly domainName: () => string;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    api: WebSocketApiDefinition,
    functions: ReadonlyMap<string, LocalFunction>,
    log: (line: string) => void,
    domainName: () => string,
  ) {
    this.api = api;
    this.functions = functions;
    this.log = log;
    this.domainName = domainName;
  }

  /** `localhost:<port>`: the API's domain as events name it. */
  host(): string {
    return this.domainName();
  }

  /** Invokes a function of the API; the invocation counts as in flight until it settles. */
  invoke(functionLogicalId: string, event: unknown): Promise<InvokeOutcome> {
    const fn = this.functions.get(functionLogicalId);
    if (!fn) {
      throw new Error(`The WebSocket API refers to a function ${functionLogicalId} that is not in the app.`);
    }
    const promise = fn.invoke(event);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
    return promise;
  }

  /** The `requestContext` fields every event of a connection carries. */
  requestContext(connection: ConnectionIdentity) {
    const now = new Date();
    return {
      extendedRequestId: randomUUID(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      stage: this.api.stageName,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: randomUUID(),
      domainName: this.domainName(),
      connectionId: connection.id,
      apiId: this.api.apiId,
    };
  }

  /** Resolves when every invocation started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Waits for the invocations in flight now. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
