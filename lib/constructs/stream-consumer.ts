import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamConsumerDefinition } from '../api/stream-consumers.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { notifyingAlarm, RUNBOOK_SECTIONS } from './alarms.ts';
import { EndpointFunction } from './endpoint-function.ts';

export interface StreamConsumerProps {
  readonly definition: StreamConsumerDefinition;
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  readonly indexNames: readonly string[];
  readonly environment?: Record<string, string>;
  /** Where the consumer's alarms notify (its function's, dead letters, iterator age). */
  readonly alarmTopic: ITopic;
}

/**
 * A function fed by the table's stream, with the settings every consumer needs: the
 * definition's filters (non-matching records never invoke it), partial batch responses,
 * bisect on error, bounded retries and record age, and an encrypted SQS dead-letter queue
 * whose depth alarms. Lambda writes the failed batch's shard and sequence numbers there (not
 * the records), enough to find them in the stream within its 24-hour retention.
 */
export class StreamConsumer extends Construct {
  readonly endpoint: EndpointFunction;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  readonly iteratorAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const { definition, config, table } = props;
    this.endpoint = new EndpointFunction(this, 'Consumer', {
      functionId: definition.id,
      entry: definition.entry,
      config,
      environment: props.environment,
      alarmTopic: props.alarmTopic,
      // A batch of 100 records with a few calls each; well within, and far from the 15 minutes.
      timeout: Duration.seconds(60),
    });
    // The event source mapping grants reading the stream; the table itself only when asked.
    if (definition.table !== 'none') this.endpoint.bindTable(table, definition.table, props.indexNames);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    this.endpoint.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: definition.batchSize,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: definition.retryAttempts,
        maxRecordAge: Duration.seconds(definition.maxRecordAgeSeconds),
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: definition.filters.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );
    const name = definition.id;
    this.deadLetterAlarm = notifyingAlarm(this, 'DeadLettersAlarm', {
      config,
      topic: props.alarmTopic,
      name: `dlq-${name}`,
      description:
        `Stream records that ${definition.entry} could not process after its retries are in the ` +
        'dead-letter queue: each message names a shard and sequence range to look at.',
      runbookSection: RUNBOOK_SECTIONS.deadLetters,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
    });
    this.iteratorAgeAlarm = notifyingAlarm(this, 'IteratorAgeAlarm', {
      config,
      topic: props.alarmTopic,
      name: `iterator-age-${name}`,
      description: `${definition.entry} is falling behind the table's stream (its records wait before they are read).`,
      runbookSection: RUNBOOK_SECTIONS.iteratorAge,
      metric: this.endpoint.function.metric('IteratorAge', {
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: config.alarms.streamIteratorAgeSeconds * 1000,
    });
  }
}
