/**
 * Prices the cost model uses: us-east-1, on-demand, arm64, first pricing tier. They are inputs,
 * not facts this code can check: update them (and the date) when AWS changes its prices.
 */
export const PRICES = {
  region: 'us-east-1',
  /** When these figures were written down, and where from. */
  asOf: '2026-12-03',
  source:
    'aws.amazon.com/lambda/pricing, /api-gateway/pricing, /dynamodb/pricing as published in 2025 (Lambda arm64 first tier; HTTP API first 300 M requests; DynamoDB on-demand after the November 2024 reduction); not re-checked against the live pages from the bench machine',
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  httpApiPerMillionRequests: 1.0,
  dynamoDbPerMillionReadUnits: 0.125,
  dynamoDbPerMillionWriteUnits: 0.625,
  /** Amazon SES outbound email (no attachments), aws.amazon.com/ses/pricing. */
  sesPerThousandEmails: 0.1,
} as const;

/**
 * The emails one order sends in its usual life (functions/notifications): placed, paid,
 * shipped, delivered. A cancelled order sends placed and cancelled (and refunded if paid).
 */
export const EMAILS_PER_ORDER = 4;

/** What the order emails of 1,000 orders cost at SES's price (the consumer's Lambda time aside). */
export function emailCostPerThousandOrders(emailsPerOrder = EMAILS_PER_ORDER): number {
  return (1000 * emailsPerOrder * PRICES.sesPerThousandEmails) / 1000;
}

/** Memory at which Lambda gives a function one full vCPU; below it, CPU shrinks in proportion. */
export const FULL_VCPU_MB = 1769;
/** Memory sizes the tuning considers. */
export const MEMORY_SIZES = [128, 256, 512, 768, 1024, 1536, 1769] as const;
/** Tuning rule, part 1: a warm invocation at most this much slower than at a full vCPU ... */
const WARM_SLOWDOWN = 1.2;
/** ... or this many milliseconds, whichever is more (a few ms in a 50 ms call go unnoticed; 50% more GB-s does not). */
const WARM_SLACK_MS = 10;
/** Tuning rule, part 2: a cold start's init (scaled like the CPU) within this budget. */
export const INIT_BUDGET_MS = 250;
/** Tuning rule, part 3: the memory holds the measured resident set with this headroom. */
const MEMORY_HEADROOM = 1.5;

/** What one function did per invocation, measured by the bench. */
export interface FunctionUsage {
  readonly name: string;
  readonly invocations: number;
  /**
   * Medians of the warm invocations: handler wall time and the CPU it took on this machine (the
   * process's, so Node's thread pool counts: password hashing runs there).
   */
  readonly handlerMs: number;
  readonly cpuMs: number;
  /** Means per invocation. */
  readonly dynamoDbRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Cold import median (this machine, one core) and the process's resident memory after it. */
  readonly initMs?: number;
  readonly rssMb?: number;
  /** Largest V8 heap seen after an invocation. */
  readonly heapUsedMb?: number;
}

/**
 * A model, not a measurement on Lambda (no AWS account here): the handler's CPU time stretches
 * as Lambda's CPU share shrinks below a full vCPU, its waiting (DynamoDB, other calls) does not.
 * This machine's core stands in for a Graviton vCPU.
 */
export function modelledDurationMs(usage: FunctionUsage, memoryMb: number): number {
  const waiting = Math.max(0, usage.handlerMs - usage.cpuMs);
  return waiting + usage.cpuMs * Math.max(1, FULL_VCPU_MB / memoryMb);
}

export function modelledInitMs(usage: FunctionUsage, memoryMb: number): number | undefined {
  return usage.initMs === undefined ? undefined : usage.initMs * Math.max(1, FULL_VCPU_MB / memoryMb);
}

export interface CostPerMillion {
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly httpApi: number;
  readonly dynamoDbReads: number;
  readonly dynamoDbWrites: number;
  readonly total: number;
}

/** Dollars per million invocations at `memoryMb`, warm (billed duration rounded up to the ms). */
export function costPerMillion(usage: FunctionUsage, memoryMb: number, viaHttpApi: boolean): CostPerMillion {
  const billedSeconds = Math.ceil(modelledDurationMs(usage, memoryMb)) / 1000;
  const lambdaDuration = (memoryMb / 1024) * billedSeconds * PRICES.lambdaArmPerGbSecond * 1e6;
  const lambdaRequests = PRICES.lambdaPerMillionRequests;
  const httpApi = viaHttpApi ? PRICES.httpApiPerMillionRequests : 0;
  const dynamoDbReads = usage.readUnits * PRICES.dynamoDbPerMillionReadUnits;
  const dynamoDbWrites = usage.writeUnits * PRICES.dynamoDbPerMillionWriteUnits;
  return {
    lambdaRequests,
    lambdaDuration,
    httpApi,
    dynamoDbReads,
    dynamoDbWrites,
    total: lambdaRequests + lambdaDuration + httpApi + dynamoDbReads + dynamoDbWrites,
  };
}

export interface MemoryChoice {
  readonly memoryMb: number;
  readonly why: string;
}

/**
 * The tuning rule: the smallest memory whose modelled warm duration is within 20% (or 10 ms) of
 * the duration at a full vCPU, whose modelled init stays within the init budget, and that
 * holds the measured resident memory with headroom. CPU-bound functions (password hashing)
 * end up at a full vCPU; functions that mostly wait on DynamoDB need less.
 */
export function chooseMemory(usage: FunctionUsage): MemoryChoice {
  const best = modelledDurationMs(usage, FULL_VCPU_MB);
  const warmLimit = Math.max(best * WARM_SLOWDOWN, best + WARM_SLACK_MS);
  const needMb = (usage.rssMb ?? 0) * MEMORY_HEADROOM;
  for (const memoryMb of MEMORY_SIZES) {
    if (memoryMb < needMb) continue;
    if (modelledDurationMs(usage, memoryMb) > warmLimit) continue;
    const init = modelledInitMs(usage, memoryMb);
    if (init !== undefined && init > INIT_BUDGET_MS) continue;
    const reasons = [
      `warm ${modelledDurationMs(usage, memoryMb).toFixed(1)} ms (full vCPU ${best.toFixed(1)} ms)`,
      init === undefined ? undefined : `init ${init.toFixed(0)} ms`,
      usage.rssMb === undefined ? undefined : `RSS ${usage.rssMb.toFixed(0)} MB`,
    ];
    return { memoryMb, why: reasons.filter(Boolean).join(', ') };
  }
  return { memoryMb: FULL_VCPU_MB, why: 'no smaller size meets the rule' };
}
