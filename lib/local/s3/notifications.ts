import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../account.ts';
import { resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';
import type { LocalFunction } from '../lambda/function.ts';
import { shortFunctionName } from '../lambda/log-format.ts';
import type { EmulatorLog } from '../log.ts';
import type { ObjectEvent } from './server.ts';

/** One `LambdaFunctionConfiguration` of a bucket's notification configuration, resolved. */
export interface NotificationTarget {
  readonly bucket: string;
  /** `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, ... */
  readonly events: readonly string[];
  readonly prefix: string;
  readonly suffix: string;
  readonly fn: LocalFunction;
  /** Retries of an asynchronous invocation that failed (`AWS::Lambda::EventInvokeConfig`; Lambda's default 2). */
  readonly retries: number;
  /**
   * Where a failed event goes after its retries: the on-failure destination of the function's
   * `AWS::Lambda::EventInvokeConfig` (an SQS queue), else its `DeadLetterConfig`.
   */
  readonly failureQueueArn?: string;
  /** Whether that queue gets Lambda's destination record (with the error) or the bare event (a dead-letter queue). */
  readonly failureRecord: boolean;
}

interface FilterRule {
  Name: string;
  Value: string;
}

interface LambdaConfiguration {
  Events?: string[];
  LambdaFunctionArn?: { 'Fn::GetAtt'?: [string, string] };
  Filter?: { Key?: { FilterRules?: FilterRule[] } };
}

/**
 * The buckets' notifications to functions, from the template. CDK writes a bucket's
 * notifications into a `Custom::S3BucketNotifications` resource (its provider calls
 * PutBucketNotificationConfiguration at deploy); this reads that resource's properties.
 */
export function readNotificationTargets(
  resolver: TemplateResolver,
  functions: ReadonlyMap<string, LocalFunction>,
): NotificationTarget[] {
  return resourcesOfType(resolver.assembly, 'Custom::S3BucketNotifications').flatMap(
    ({ stackName, resource }) => {
      const bucket = resolver.resolveString(resource.Properties?.BucketName, stackName);
      const config = resource.Properties?.NotificationConfiguration as
        | { LambdaFunctionConfigurations?: LambdaConfiguration[] }
        | undefined;
      return (config?.LambdaFunctionConfigurations ?? []).flatMap((entry) => {
        const logicalId = entry.LambdaFunctionArn?.['Fn::GetAtt']?.[0] ?? '';
        const fn = functions.get(logicalId);
        if (!fn) return [];
        const rules = entry.Filter?.Key?.FilterRules ?? [];
        const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
        return [
          {
            bucket,
            events: entry.Events ?? [],
            prefix: rule('prefix'),
            suffix: rule('suffix'),
            fn,
            retries: asyncRetries(resolver, logicalId),
            ...failureQueue(resolver, stackName, logicalId),
          },
        ];
      });
    },
  );
}

const invokeConfigOf = (resolver: TemplateResolver, functionLogicalId: string) =>
  resourcesOfType(resolver.assembly, 'AWS::Lambda::EventInvokeConfig').find(
    ({ resource }) =>
      (resource.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === functionLogicalId,
  );

function asyncRetries(resolver: TemplateResolver, functionLogicalId: string): number {
  const retries = invokeConfigOf(resolver, functionLogicalId)?.resource.Properties?.MaximumRetryAttempts;
  return retries === undefined ? 2 : Number(retries);
}

function failureQueue(
  resolver: TemplateResolver,
  stackName: string,
  logicalId: string,
): { failureQueueArn?: string; failureRecord: boolean } {
  const config = invokeConfigOf(resolver, logicalId);
  const destination = (
    config?.resource.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
  )?.OnFailure?.Destination;
  if (config && destination !== undefined)
    return { failureQueueArn: resolver.resolveString(destination, config.stackName), failureRecord: true };
  const found = resourcesOfType(resolver.assembly, 'AWS::Lambda::Function').find(
    (f) => f.logicalId === logicalId,
  );
  const target = (found?.resource.Properties?.DeadLetterConfig as { TargetArn?: unknown } | undefined)
    ?.TargetArn;
  return target === undefined
    ? { failureRecord: false }
    : {
        failureQueueArn: resolver.resolveString(target, found?.stackName ?? stackName),
        failureRecord: false,
      };
}

const matches = (target: NotificationTarget, event: ObjectEvent) =>
  target.bucket === event.bucket &&
  event.object.key.startsWith(target.prefix) &&
  event.object.key.endsWith(target.suffix) &&
  target.events.some((pattern) => {
    const wanted = pattern.replace(/^s3:/, '');
    return wanted.endsWith(':*')
      ? event.eventName.startsWith(wanted.slice(0, -1))
      : wanted === event.eventName;
  });

/** The event S3 sends a function (one record; S3 never batches notifications). */
export function s3EventOf(event: ObjectEvent): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
        eventTime: event.time.toISOString(),
        eventName: event.eventName,
        userIdentity: { principalId: `AWS:${LOCAL_ACCOUNT}` },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'local',
          bucket: {
            name: event.bucket,
            ownerIdentity: { principalId: LOCAL_ACCOUNT },
            arn: `arn:aws:s3:::${event.bucket}`,
          },
          object: {
            // As S3 sends it: URL-encoded, spaces as '+'.
            key: encodeURIComponent(event.object.key).replace(/%20/g, '+'),
            size: event.object.size,
            ...(event.object.etag ? { eTag: event.object.etag } : {}),
            sequencer: event.time.getTime().toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  };
}

/** What a dispatcher needs to put an event that kept failing into a queue. */
export interface DeadLetterSink {
  send(queueArn: string, body: string): string;
}

/**
 * Invokes the matching targets of every object event asynchronously, as S3 does: the upload's
 * answer does not wait; a failed invocation is retried (`retries` times, as Lambda retries
 * asynchronous events) and then goes to the function's dead-letter queue with the event.
 * `settled()` waits for every invocation started so far (tests and seeding).
 */
export class NotificationDispatcher {
  private readonly pending = new Set<Promise<void>>();
  private readonly targets: readonly NotificationTarget[];
  private readonly sqs: DeadLetterSink;
  private readonly log: EmulatorLog;

  constructor(targets: readonly NotificationTarget[], sqs: DeadLetterSink, log: EmulatorLog) {
    this.targets = targets;
    this.sqs = sqs;
    this.log = log;
  }

  dispatch(event: ObjectEvent): void {
    for (const target of this.targets.filter((t) => matches(t, event))) {
      const run = this.deliver(target, event).finally(() => this.pending.delete(run));
      this.pending.add(run);
    }
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async deliver(target: NotificationTarget, event: ObjectEvent): Promise<void> {
    const payload = s3EventOf(event);
    const name = shortFunctionName(target.fn.spec.logicalId);
    let lastError: unknown;
    for (let attempt = 0; attempt <= target.retries; attempt++) {
      const outcome = await target.fn.invoke(payload);
      if (outcome.ok) return;
      lastError = outcome.error;
      this.log(
        `s3 ${event.eventName} ${event.bucket}/${event.object.key} -> ${name} failed: ${outcome.error.errorMessage}`,
        {
          kind: 's3-notification',
          function: name,
          attempt: attempt + 1,
          level: 'ERROR',
        },
      );
    }
    if (!target.failureQueueArn) return;
    // Lambda's destination record: the event, why it failed, how often it was tried.
    const record = target.failureRecord
      ? {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: randomUUID(),
            functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${target.fn.spec.functionName}:$LATEST`,
            condition: 'RetriesExhausted',
            approximateInvokeCount: target.retries + 1,
          },
          requestPayload: payload,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: lastError,
        }
      : payload;
    this.sqs.send(target.failureQueueArn, JSON.stringify(record));
  }
}
