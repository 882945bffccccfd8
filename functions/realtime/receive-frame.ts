import { lambda } from '../core/lambda.ts';
import type { ServerFrame, WebSocketEvent, WebSocketResult } from './model.ts';
import { clientFrame } from './model.ts';

const reply = (frame: ServerFrame): WebSocketResult => ({ statusCode: 200, body: JSON.stringify(frame) });

/**
 * `$default`: every frame a client sends. Messages are sent over HTTP (they need validation,
 * idempotency and a status code); the socket only answers `ping` with `pong`, which keeps it
 * inside API Gateway's 10-minute idle timeout, and says what it did not understand.
 */
export const handler = lambda(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  let parsed: unknown;
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    parsed = JSON.parse(text ?? '');
  } catch {
    return reply({ type: 'error', message: 'Frames are JSON, e.g. {"type":"ping"}.' });
  }
  const frame = clientFrame.safeParse(parsed);
  if (!frame.success) {
    return reply({
      type: 'error',
      message: 'Unknown frame. Send {"type":"ping"}; messages are sent over HTTP.',
    });
  }
  return reply({ type: 'pong' });
});
