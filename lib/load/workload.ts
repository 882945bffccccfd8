import { randomUUID } from 'node:crypto';
import { ACTION_WEIGHTS, type ActionContext, act, FIRST_ACTIONS } from './actions.ts';
import { checkMessages, checkServerErrors, checkStock } from './checks.ts';
import type { LoadOptions, LoadResult, LoadTarget, Progress } from './model.ts';
import { pickWeighted, seededRandom } from './random.ts';
import { checkResets, firstResets, setUpResets } from './resets.ts';
import { setUp } from './setup.ts';
import { Recorder } from './stats.ts';

export { ACTION_WEIGHTS } from './actions.ts';
export type {
  InvariantResult,
  KindStats,
  LoadOptions,
  LoadResult,
  LoadTarget,
  Progress,
} from './model.ts';
export { formatSummary } from './stats.ts';

/**
 * Runs the mixed workload against a backend and checks its invariants at the end: no 5xx,
 * no stock oversold (never below zero; final stock = initial - units in pending and paid orders),
 * no lost message (every 201 message is listed in its conversation and reached the recipient's
 * open socket), and, when the target has a mailbox, password resets complete (each completed
 * reset's old password refused, the new one accepted). Memory is the caller's to sample
 * (`onTick`): it knows the processes.
 */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const load = new Recorder();
  const checks = new Recorder();
  const api = (path: string) => `${target.url}${path}`;
  const runId = randomUUID().slice(0, 8);
  const { products, users, sockets } = await setUp(target, options, checks, api, runId);
  const recoveryUsers = options.recoveryUsers ?? Math.max(2, Math.ceil(options.users / 4));
  const resets = await setUpResets(target.mailbox, checks, api, recoveryUsers, runId);

  // The load: every user acts in a loop until the deadline.
  const ctx: ActionContext = {
    random: seededRandom(options.seed),
    load,
    api,
    webhookSecret: target.webhookSecret,
    productIds: products.map((p) => p.id),
    accepted: [],
    placed: [],
    negativeStockSeen: [],
    ...(resets ? { resets } : {}),
  };
  const started = Date.now();
  const deadline = started + options.durationSeconds * 1000;
  const progress = (): Progress => {
    const elapsedSeconds = (Date.now() - started) / 1000;
    return {
      elapsedSeconds,
      requests: load.requests,
      requestsPerSecond: load.requests / Math.max(elapsedSeconds, 0.001),
      serverErrors: load.serverErrors,
      messagesAccepted: ctx.accepted.length,
      ordersPlaced: ctx.placed.length,
    };
  };
  options.onTick?.(progress());
  const ticker = setInterval(() => options.onTick?.(progress()), (options.tickSeconds ?? 5) * 1000);
  await Promise.all([
    ...users.map(async (user) => {
      // Every user first goes through the main flow once, so that even a short or slow run
      // covers each kind; then the weighted mix.
      for (const action of FIRST_ACTIONS) if (Date.now() < deadline) await act(ctx, user, action);
      while (Date.now() < deadline) await act(ctx, user, pickWeighted(ctx.random, ACTION_WEIGHTS));
    }),
    resets && firstResets(load, api, resets),
  ]);
  clearInterval(ticker);
  const durationSeconds = (Date.now() - started) / 1000;
  options.onTick?.(progress());

  const invariants = [
    await checkMessages(checks, api, users, ctx.accepted, sockets),
    await checkStock(checks, api, users, {
      products,
      stockPerProduct: options.stockPerProduct,
      placed: ctx.placed,
      negativeStockSeen: ctx.negativeStockSeen,
    }),
    ...(resets ? [await checkResets(checks, api, resets)] : []),
    checkServerErrors(load, checks),
  ];
  await sockets.close();
  return {
    durationSeconds,
    seed: options.seed,
    kinds: load.kinds,
    checks: checks.kinds,
    invariants,
    passwordResets: { mailbox: resets !== undefined, completed: resets?.completed ?? 0 },
    totals: {
      requests: load.requests,
      requestsPerSecond: load.requests / durationSeconds,
      serverErrors: load.serverErrors + checks.serverErrors,
    },
  };
}
