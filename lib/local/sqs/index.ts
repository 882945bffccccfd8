/**
 * A local Amazon SQS: an in-memory server speaking SQS's AWS JSON 1.0 protocol (what
 * `@aws-sdk/client-sqs` and the aws CLI use), so functions and tools reach it through
 * `AWS_ENDPOINT_URL_SQS` with no local-only code path, plus an in-process API for the runtime
 * (on-failure destinations of event source mappings) and tests.
 *
 * Standard queues only, at-least-once semantics simplified to exactly-once delivery order of
 * sending. Not emulated: FIFO queues, redrive policies (dead-letter queues of queues),
 * message retention expiry, PurgeQueue's once-per-60-s limit, tags, permissions.
 */
import type { TemplateResolver } from '../cloudformation/template.ts';
import { resourcesOfType } from '../cloudformation/template.ts';
import { closeServer, listen } from '../net.ts';
import type { LocalService } from '../services.ts';
import { sqsActions } from './actions.ts';
import { SqsError } from './errors.ts';
import { QueueRegistry } from './queues.ts';
import { sqsServer } from './server.ts';

export interface LocalSqs extends LocalService {
  /** `http://127.0.0.1:<port>`; queue URLs are `<endpoint>/000000000000/<name>`. */
  readonly endpoint: string;
  /** Creates the queue unless it exists; its URL and ARN as the template resolver gives them. */
  ensureQueue(name: string): { url: string; arn: string };
  /** Sends a message to a queue named by ARN, URL or name; returns the message id. */
  send(queueArnOrUrl: string, body: string): string;
  /** Bodies of every message in the queue (visible, in flight or delayed), oldest first; changes nothing. */
  peek(queueArnOrUrl: string): string[];
  /** How many messages the queue holds (visible, in flight and delayed). */
  depth(queueArnOrUrl: string): number;
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  /** Port to listen on (127.0.0.1); a free one when omitted or 0. */
  readonly port?: number;
  /** Receives a line per request the emulator refuses as unsupported (not per error a client caused). */
  readonly log?: (line: string) => void;
}

/** Starts the local SQS on 127.0.0.1 and resolves once it listens. */
export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const queues = new QueueRegistry();
  let stopping = false;
  const server = sqsServer({ actions: sqsActions(queues), stopping: () => stopping, log: options.log });
  const endpoint = `http://127.0.0.1:${await listen(server, options.port, '127.0.0.1')}`;
  queues.endpoint = endpoint;

  // The in-process API throws plain errors named as the SDK names SQS's exceptions.
  const inProcess = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof SqsError) throw Object.assign(new Error(error.message), { name: error.type });
      throw error;
    }
  };

  return {
    endpoint,
    functionEnvironment: { AWS_ENDPOINT_URL_SQS: endpoint },
    ensureQueue: (name) =>
      inProcess(() => {
        const queue = queues.byName(name) ?? queues.create(name);
        return { url: queue.url, arn: queue.arn };
      }),
    send: (reference, body) =>
      inProcess(() => queues.enqueue(queues.find(reference), body, undefined, undefined).id),
    peek: (reference) => inProcess(() => queues.find(reference).messages.map((message) => message.body)),
    depth: (reference) => inProcess(() => queues.find(reference).messages.length),
    stop: () => {
      stopping = true;
      queues.dispose();
      return closeServer(server);
    },
  };
}

/** Creates the template's `AWS::SQS::Queue`s (e.g. consumers' dead-letter queues) under their local names. */
export function ensureTemplateQueues(sqs: LocalSqs, resolver: TemplateResolver): void {
  for (const { stackName, logicalId } of resourcesOfType(resolver.assembly, 'AWS::SQS::Queue')) {
    sqs.ensureQueue(resolver.resource(stackName, logicalId).attributes.QueueName as string);
  }
}
