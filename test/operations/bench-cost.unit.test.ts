import { describe, expect, it } from 'vitest';
import {
  chooseMemory,
  costPerMillion,
  type FunctionUsage,
  modelledDurationMs,
  PRICES,
} from '../../lib/bench/cost.ts';
import { transactWriteUnits } from '../../lib/bench/dynamodb-recorder.ts';

const usage = (overrides: Partial<FunctionUsage>): FunctionUsage => ({
  name: 'Fn',
  invocations: 10,
  handlerMs: 20,
  cpuMs: 2,
  dynamoDbRequests: 1,
  readUnits: 0.5,
  writeUnits: 0,
  initMs: 40,
  rssMb: 60,
  ...overrides,
});

describe('the memory tuning model', () => {
  it('stretches only the CPU part of a duration below a full vCPU', () => {
    const fn = usage({ handlerMs: 20, cpuMs: 2 });
    expect(modelledDurationMs(fn, 1769)).toBeCloseTo(20);
    expect(modelledDurationMs(fn, 884.5)).toBeCloseTo(22);
    expect(modelledDurationMs(fn, 3538)).toBeCloseTo(20);
  });

  it('gives a function that waits on DynamoDB little memory', () => {
    // 9 ms of waiting and 1 ms of CPU: at 256 MB the CPU part is 6.9 ms, within 10 ms of a full vCPU.
    expect(chooseMemory(usage({ handlerMs: 10, cpuMs: 1, initMs: 20 })).memoryMb).toBe(256);
  });

  it('gives a CPU-bound function (password hashing) most of a vCPU or all of it', () => {
    expect(chooseMemory(usage({ handlerMs: 300, cpuMs: 290 })).memoryMb).toBeGreaterThanOrEqual(1536);
  });

  it('keeps the cold start within its budget and the resident memory with headroom', () => {
    expect(chooseMemory(usage({ handlerMs: 10, cpuMs: 1, initMs: 100 })).memoryMb).toBeGreaterThanOrEqual(
      768,
    );
    expect(
      chooseMemory(usage({ handlerMs: 10, cpuMs: 1, initMs: 5, rssMb: 300 })).memoryMb,
    ).toBeGreaterThanOrEqual(512);
  });

  it('prices a million calls from requests, billed milliseconds, HTTP API and capacity units', () => {
    const cost = costPerMillion(usage({ handlerMs: 9.2, cpuMs: 0, readUnits: 1, writeUnits: 2 }), 1024, true);
    expect(cost.lambdaDuration).toBeCloseTo(0.01 * PRICES.lambdaArmPerGbSecond * 1e6);
    expect(cost.dynamoDbReads).toBeCloseTo(PRICES.dynamoDbPerMillionReadUnits);
    expect(cost.dynamoDbWrites).toBeCloseTo(2 * PRICES.dynamoDbPerMillionWriteUnits);
    expect(cost.total).toBeCloseTo(
      cost.lambdaDuration +
        PRICES.lambdaPerMillionRequests +
        PRICES.httpApiPerMillionRequests +
        cost.dynamoDbReads +
        cost.dynamoDbWrites,
    );
  });
});

describe('the transaction capacity estimate', () => {
  const indexes = [
    ['gsi1pk', 'gsi1sk'],
    ['gsi2pk', 'gsi2sk'],
  ];

  it('charges 2 units per KB of each Put and of each index entry it writes', () => {
    const small = { Put: { Item: { pk: { S: 'A' }, sk: { S: 'B' } } } };
    const indexed = {
      Put: { Item: { pk: { S: 'A' }, sk: { S: 'B' }, gsi1pk: { S: 'X' }, gsi1sk: { S: 'Y' } } },
    };
    const large = { Put: { Item: { pk: { S: 'A' }, body: { S: 'x'.repeat(2500) } } } };
    expect(transactWriteUnits([small], indexes)).toBe(2);
    expect(transactWriteUnits([indexed], indexes)).toBe(2 * 2);
    expect(transactWriteUnits([large], indexes)).toBe(2 * 3);
  });

  it('counts Update, Delete and ConditionCheck parts at 1 KB, and an index key an Update sets', () => {
    const update = {
      Update: {
        UpdateExpression: 'SET #s = :s, #g = :g',
        ExpressionAttributeNames: { '#s': 'status', '#g': 'gsi2pk' },
      },
    };
    expect(transactWriteUnits([update, { Delete: {} }, { ConditionCheck: {} }], indexes)).toBe(2 * 2 + 2 + 2);
  });
});
