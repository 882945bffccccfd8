import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSchedules } from '../../../lib/local/eventbridge/index.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import { assemblyOf } from '../assembly.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

/** What the function wrote, as the backend's log would receive it. */
const functionLines: string[] = [];
const cleanup = new LocalFunction(
  {
    logicalId: 'Cleanup',
    functionName: 'local-Cleanup',
    codeDir: FIXTURES,
    handler: 'scheduled.handler',
    environment: {},
    timeoutSeconds: 2,
    memoryMb: 128,
  },
  (line) => functionLines.push(line),
);

const rule = (ScheduleExpression: string, Arn: unknown) => ({
  Type: 'AWS::Events::Rule',
  Properties: { ScheduleExpression, Targets: [{ Arn, Id: 'Target' }] },
});
const cleanupArn = { 'Fn::GetAtt': ['Cleanup', 'Arn'] };

const ASSEMBLY = assemblyOf({
  events: {
    Resources: {
      Nightly: rule('rate(1 day)', cleanupArn),
      Failing: rule('rate(5 minutes)', cleanupArn),
      // Not emulated: cron expressions, targets that are not functions of the app.
      Hourly: rule('cron(0 * * * ? *)', cleanupArn),
      Elsewhere: rule('rate(1 hour)', 'arn:aws:sns:us-east-1:000000000000:topic'),
    },
  },
});

const QUIET_ASSEMBLY = assemblyOf({
  events: {
    Resources: {
      Quiet: rule('rate(1 minute)', cleanupArn),
      Busy: rule('rate(1 minute)', cleanupArn),
      Warns: rule('rate(5 minutes)', cleanupArn),
    },
  },
});

afterAll(async () => {
  await cleanup.stop();
});

describe('EventBridge rate schedules', () => {
  it("runs each rate rule's function once on request, with the event EventBridge sends", async () => {
    const lines: string[] = [];
    const schedules = startSchedules({
      assembly: ASSEMBLY,
      functions: new Map([['Cleanup', cleanup]]),
      log: (line) => lines.push(line),
      run: false,
    });
    const results = await schedules.runSchedules();
    await schedules.stop();

    expect(results).toHaveLength(2);
    const [nightly, failing] = results;
    expect(nightly).toMatchObject({ functionLogicalId: 'Cleanup', ok: true });
    expect((nightly?.result as { received?: Record<string, unknown> } | undefined)?.received).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/Nightly'],
      detail: {},
    });
    expect(failing).toMatchObject({ functionLogicalId: 'Cleanup', ok: false });
    expect(lines).toEqual(['  [Failing] failed: scheduled failure']);
  });

  it('stays quiet about a run that found nothing, and shows a run that did something with its lines', async () => {
    const lines: { line: string; fields?: Record<string, unknown> }[] = [];
    functionLines.length = 0;
    const schedules = startSchedules({
      assembly: QUIET_ASSEMBLY,
      functions: new Map([['Cleanup', cleanup]]),
      log: (line, fields) => lines.push({ line, ...(fields ? { fields } : {}) }),
      run: false,
    });
    const results = await schedules.runSchedules();
    await schedules.stop();

    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    // Quiet: found nothing, logged at INFO only. Busy: counted 2. Warns: counted nothing, but warned.
    // The runs are concurrent: their lines come in any order.
    expect(lines.map((l) => l.line).sort()).toEqual([
      expect.stringMatching(/^schedule Cleanup: expired=2 \(\d+ ms\)$/),
      expect.stringMatching(/^schedule Cleanup: warned \(\d+ ms\)$/),
    ]);
    expect(lines.find((l) => l.fields?.rule === 'Busy')?.fields).toMatchObject({
      kind: 'schedule',
      result: { expired: 2, skipped: 0 },
    });
    const written = functionLines.map((line) => JSON.parse(line) as { message: string; expired?: number });
    expect(written.map((l) => `${l.message} ${l.expired ?? '-'}`).sort()).toEqual([
      'could not reach the provider -',
      'swept 2',
    ]);
  });
});
