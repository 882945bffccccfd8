/** Something a local backend started and stops again. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * An emulated AWS service that functions call through the AWS SDK: where it listens, and the
 * variables that point a function's SDK client at it (`AWS_ENDPOINT_URL_<SERVICE>`), so no
 * function has a local-only code path. A new service (mail, object storage) implements this,
 * and the composition root starts it like the others: its variables reach every function.
 */
export interface LocalService extends Stoppable {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly functionEnvironment: Readonly<Record<string, string>>;
}

const isLocalService = (value: Stoppable): value is LocalService =>
  'endpoint' in value && 'functionEnvironment' in value;

/**
 * What a local backend started, in order. `stop()` stops it all in reverse (a failing step does
 * not keep the others running); the variables of every `LocalService` started are collected for
 * the functions.
 */
export class ServiceStack implements Stoppable {
  private readonly started: Stoppable[] = [];
  private readonly environment: Record<string, string> = {};

  /** Keeps a started service (or anything stoppable) to stop with the rest. */
  async add<T extends Stoppable>(starting: T | Promise<T>): Promise<T> {
    const service = await starting;
    this.started.push(service);
    if (isLocalService(service)) Object.assign(this.environment, service.functionEnvironment);
    return service;
  }

  /** The variables every function gets so its SDK finds the local services started so far. */
  get functionEnvironment(): Readonly<Record<string, string>> {
    return { ...this.environment };
  }

  async stop(): Promise<void> {
    for (const service of this.started.splice(0).reverse()) await service.stop().catch(() => undefined);
  }
}
