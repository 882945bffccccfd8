import { workerSource } from './instance.ts';
import { DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from './limits.ts';
import type { FunctionSpec } from './spec.ts';

/** Counts executions in flight against a limit (a function's reserved concurrency, or the account's). */
export class ConcurrencyPool {
  inUse = 0;
  private readonly limit: () => number;

  constructor(limit: number | (() => number)) {
    this.limit = typeof limit === 'number' ? () => limit : limit;
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.limit()) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    this.inUse--;
  }
}

/** A counting semaphore: at most `slots` holders at once, the rest wait in order. */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  async acquire(): Promise<() => void> {
    return (await this.acquireWithin(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)) as () => void;
  }

  /**
   * A slot, waiting in line only if fewer than `maxQueued` already wait, and at most `maxWaitMs`:
   * undefined when the line is full or the wait ran out.
   */
  async acquireWithin(maxQueued: number, maxWaitMs: number): Promise<(() => void) | undefined> {
    if (this.free > 0) this.free--;
    else {
      if (this.waiting.length >= maxQueued) return undefined;
      const granted = await new Promise<boolean>((resolve) => {
        const turn = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = Number.isFinite(maxWaitMs)
          ? setTimeout(() => {
              const index = this.waiting.indexOf(turn);
              if (index >= 0) this.waiting.splice(index, 1);
              resolve(false);
            }, maxWaitMs)
          : undefined;
        this.waiting.push(turn);
      });
      if (!granted) return undefined;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * The local Lambda service of one backend: its limits, the account's concurrency shared by
 * functions without reserved concurrency, and the turns of environments initializing.
 */
export class LocalRuntime {
  readonly limits: RuntimeLimits;
  readonly initSlots: Semaphore;
  private reserved = 0;
  /** Executions of functions without reserved concurrency, against what the account has left. */
  readonly unreserved: ConcurrencyPool;

  constructor(limits: Partial<RuntimeLimits> = {}) {
    this.limits = { ...DEFAULT_RUNTIME_LIMITS, ...limits };
    // Transpiled now, not during the first request (esbuild starts its service once per process).
    workerSource();
    this.initSlots = new Semaphore(this.limits.concurrentInits);
    this.unreserved = new ConcurrencyPool(() => this.limits.accountConcurrency - this.reserved);
  }

  /** The pool a function's executions count against: its own when it reserves concurrency. */
  poolFor(spec: FunctionSpec): ConcurrencyPool {
    if (spec.reservedConcurrency === undefined) return this.unreserved;
    this.reserved += spec.reservedConcurrency;
    return new ConcurrencyPool(spec.reservedConcurrency);
  }
}
