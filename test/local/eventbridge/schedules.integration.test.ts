import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSchedules } from '../../../lib/local/eventbridge/index.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import { assemblyOf } from '../assembly.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

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
  () => undefined,
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
});
