import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Action } from './actions.ts';
import { SqsError } from './errors.ts';

/** A local SQS server's options. */
export interface SqsServerOptions {
  readonly actions: Readonly<Record<string, Action>>;
  /** Long polls end early once this is true (the server is stopping). */
  readonly stopping: () => boolean;
  readonly log?: (line: string) => void;
}

const unsupported = (target: string) =>
  new SqsError(
    'UnsupportedOperation',
    'AWS.SimpleQueueService.UnsupportedOperation',
    `${target || 'This request'} is not emulated by the local SQS (JSON protocol only).`,
  );

const internalError = () =>
  new SqsError('InternalError', 'InternalError', 'We encountered an internal error.', 500, 'Receiver');

/** Answers one request of SQS's AWS JSON 1.0 protocol: `POST /` with `X-Amz-Target: AmazonSQS.<Action>`. */
function answer(
  options: SqsServerOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
) {
  const requestId = randomUUID();
  const reply = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': requestId,
      ...headers,
    });
    res.end(JSON.stringify(answer));
  };
  const fail = (error: SqsError) =>
    reply(
      error.status,
      { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
      { 'x-amzn-query-error': `${error.queryCode};${error.fault}` },
    );
  const target = String(req.headers['x-amz-target'] ?? '');
  const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
  const handler = options.actions[action];
  if (req.method !== 'POST' || !handler) {
    options.log?.(`[sqs] unsupported request ${req.method} ${req.url} ${target || '(no X-Amz-Target)'}`);
    return fail(unsupported(target));
  }
  let input: Record<string, unknown>;
  try {
    const text = body.toString('utf8');
    input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return fail(
      new SqsError('InvalidParameterValueException', 'MalformedInput', 'The request body is not valid JSON.'),
    );
  }
  Promise.resolve()
    .then(() => handler(input, () => options.stopping() || res.destroyed))
    .then(
      (result) => reply(200, result),
      (error: unknown) => {
        if (error instanceof SqsError) return fail(error);
        options.log?.(`[sqs] ${action} failed: ${error instanceof Error ? error.stack : String(error)}`);
        fail(internalError());
      },
    );
}

/** The HTTP side of the local SQS: each request read whole, then answered by its action. */
export function sqsServer(options: SqsServerOptions): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(options, req, res, Buffer.concat(chunks)));
  });
}
