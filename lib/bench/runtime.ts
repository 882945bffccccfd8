import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DemoSeed, type ShopBackend, shopBackendOptions } from '../demo/backend-hooks.ts';
import { type LocalBackendOptions, startLocalBackend } from '../local/backend.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb/launcher.ts';

/** Something this run started and must stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Lines of the local backends kept for a failure report. */
const LOG_LINES = 60;

/**
 * What one bench run starts (a work directory, DynamoDB Local, local backends, proxies), stopped
 * once, in reverse order, whether the run ends normally, fails or is interrupted.
 */
export class BenchRuntime {
  /** A fresh temporary directory for bundles this run builds; removed by `cleanup`. */
  readonly workDir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  /** The last lines the local backends logged. */
  readonly backendLog: string[] = [];
  /** Set on SIGINT/SIGTERM: failures after it are the interruption's, not worth reporting. */
  interrupted = false;
  readonly #running: Stoppable[] = [];
  #cleaned: Promise<void> | undefined;
  #dynamodb: DynamoDbLocal | undefined;
  /** The synthesized cloud assembly the backends run. */
  readonly #assemblyDir: string;
  readonly #progress: (text: string) => void;

  constructor(assemblyDir: string, progress: (text: string) => void) {
    this.#assemblyDir = assemblyDir;
    this.#progress = progress;
  }

  /** Stops `thing` at cleanup. */
  track<T extends Stoppable>(thing: T): T {
    this.#running.push(thing);
    return thing;
  }

  /** Stops everything started, once; later calls wait for the first. */
  cleanup(): Promise<void> {
    this.#cleaned ??= (async () => {
      for (const thing of this.#running.splice(0).reverse()) await thing.stop().catch(() => undefined);
      rmSync(this.workDir, { recursive: true, force: true });
    })();
    return this.#cleaned;
  }

  /** The pid of the shared DynamoDB Local, once started. */
  get dynamoDbPid(): number | undefined {
    return this.#dynamodb?.pid;
  }

  /** DynamoDB Local, started on first use and shared by every backend of the run. */
  async sharedDynamoDb(): Promise<DynamoDbLocal> {
    if (!this.#dynamodb) {
      this.#progress(
        'Starting DynamoDB Local (shared by every backend of this run, each with tables of its own)...',
      );
      this.#dynamodb = this.track(await startDynamoDbLocal({}));
    }
    return this.#dynamodb;
  }

  /** A local backend on the shared DynamoDB Local, its tables named with `prefix`, seeded by default. */
  async startBackend(
    prefix: string,
    extra: Partial<LocalBackendOptions<DemoSeed | undefined>> = {},
  ): Promise<ShopBackend> {
    const ddb = await this.sharedDynamoDb();
    const backend = await startLocalBackend({
      assemblyDir: this.#assemblyDir,
      dynamodbEndpoint: ddb.endpoint,
      tableNamePrefix: prefix,
      port: 0,
      ...shopBackendOptions(),
      runSchedules: false,
      log: (line) => {
        this.backendLog.push(line);
        if (this.backendLog.length > LOG_LINES) this.backendLog.shift();
      },
      ...extra,
    });
    return this.track(backend);
  }

  /** Stops a backend now (it frees its threads for the next phase) and forgets it. */
  async stopBackend(backend: ShopBackend): Promise<void> {
    const index = this.#running.indexOf(backend);
    if (index >= 0) this.#running.splice(index, 1);
    await backend.stop();
  }
}
