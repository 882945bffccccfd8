/**
 * Memory per function (MB), by handler entry, chosen from `npm run bench`'s tuning table (see
 * docs/performance.md, "Memory"). Memory buys CPU on Lambda (a full vCPU at 1,769 MB): functions
 * that mostly wait on DynamoDB need little, password hashing needs a whole core, and init
 * (the cold start) is CPU-bound everywhere. Functions not listed (new ones) get the
 * environment's `functionMemoryMb` until the bench has measured them.
 */
export const FUNCTION_MEMORY_MB: Readonly<Record<string, number>> = {};
