/**
 * EventBridge schedules, locally: every `AWS::Events::Rule` of the template with a
 * `rate(<n> minute(s)|hour(s)|day(s))` schedule invokes its function targets on that rate, with
 * the `Scheduled Event` EventBridge sends; `runSchedules()` runs them all once now (tests do,
 * so timing never decides an outcome). Not emulated: `cron(...)` expressions, event patterns,
 * targets other than the app's functions, input transformers, retries and dead-letter queues.
 *
 * A run that did nothing is quiet: a sweep every minute would otherwise bury the requests in
 * "found nothing" lines. A run did something when it failed, when its result counts anything
 * (a number above zero in the object it returns: `{ expired: 2 }`), or when it logged a warning
 * or an error; then one summary line and everything the function logged are printed.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_REGION } from '../account.ts';
import { type CloudAssembly, resourcesOfType } from '../cloudformation/template.ts';
import type { LocalFunction } from '../lambda/function.ts';
import { shortFunctionName } from '../lambda/log-format.ts';
import type { InvokeOutcome } from '../lambda/outcome.ts';
import type { EmulatorLog } from '../log.ts';

export interface ScheduleResult {
  readonly functionLogicalId: string;
  readonly ok: boolean;
  readonly result: unknown;
}

export interface LocalSchedules {
  /** Runs every scheduled function once now, as its EventBridge rule would; returns their results. */
  runSchedules(): Promise<ScheduleResult[]>;
  stop(): Promise<void>;
}

interface ScheduleTarget {
  readonly rule: string;
  readonly fn: LocalFunction;
  readonly everyMs: number;
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The template's rate schedules and the app functions they target. */
function readSchedules(
  assembly: CloudAssembly,
  functions: ReadonlyMap<string, LocalFunction>,
): ScheduleTarget[] {
  return resourcesOfType(assembly, 'AWS::Events::Rule').flatMap(({ logicalId, resource }) => {
    const expression = String(resource.Properties?.ScheduleExpression ?? '');
    const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
    if (!rate) return [];
    const unitMs = rate[2]?.startsWith('minute')
      ? UNIT_MS.minute
      : rate[2]?.startsWith('hour')
        ? UNIT_MS.hour
        : UNIT_MS.day;
    const targets =
      (resource.Properties?.Targets as { Arn?: { 'Fn::GetAtt'?: [string, string] } }[] | undefined) ?? [];
    return targets.flatMap((target) => {
      const fn = functions.get(target.Arn?.['Fn::GetAtt']?.[0] ?? '');
      return fn ? [{ rule: logicalId, fn, everyMs: Number(rate[1]) * unitMs }] : [];
    });
  });
}

/** The counts in a run's result that are above zero (`expired=2`): what it did. */
function positiveCounts(result: unknown): string[] {
  if (typeof result !== 'object' || result === null) return [];
  return Object.entries(result).flatMap(([key, value]) =>
    typeof value === 'number' && value > 0 ? [`${key}=${value}`] : [],
  );
}

const WARNS = /"level":\s*"(WARN|WARNING|ERROR|CRITICAL)"|\t(WARN|ERROR)\t/;

/** Whether a run is worth lines in the log: it failed, counted something, or warned. */
export function scheduleRunDidSomething(outcome: InvokeOutcome): boolean {
  if (!outcome.ok) return true;
  return positiveCounts(outcome.result).length > 0 || (outcome.logs ?? []).some((line) => WARNS.test(line));
}

/** Invokes a schedule's function with the event EventBridge sends for a scheduled rule. */
async function runOne({ rule, fn }: ScheduleTarget, log: EmulatorLog): Promise<ScheduleResult> {
  const outcome = await fn.invoke(
    {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${rule}`],
      detail: {},
    },
    { captureLogs: true },
  );
  if (scheduleRunDidSomething(outcome)) {
    const name = shortFunctionName(fn.spec.logicalId);
    const fields = {
      kind: 'schedule',
      rule,
      function: name,
      durationMs: Number(outcome.durationMs.toFixed(1)),
    };
    if (outcome.ok) {
      log(
        `schedule ${name}: ${positiveCounts(outcome.result).join(' ') || 'warned'} (${outcome.durationMs.toFixed(0)} ms)`,
        {
          ...fields,
          result: outcome.result,
        },
      );
    } else {
      log(`  [${rule}] failed: ${outcome.error.errorMessage}`, {
        ...fields,
        level: 'ERROR',
        error: outcome.error.errorMessage,
      });
    }
    fn.writeLogs(outcome.logs ?? []);
  }
  return {
    functionLogicalId: fn.spec.logicalId,
    ok: outcome.ok,
    result: outcome.ok ? outcome.result : outcome.error,
  };
}

/** The template's rate schedules, running on their rate when `run` (else only on `runSchedules()`). */
export function startSchedules(options: {
  readonly assembly: CloudAssembly;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly log: EmulatorLog;
  readonly run: boolean;
}): LocalSchedules {
  const { log } = options;
  const schedules = readSchedules(options.assembly, options.functions);
  const timers = options.run
    ? schedules.map((schedule) => {
        const timer = setInterval(() => void runOne(schedule, log).catch(() => undefined), schedule.everyMs);
        timer.unref();
        return timer;
      })
    : [];
  return {
    runSchedules: () => Promise.all(schedules.map((schedule) => runOne(schedule, log))),
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
