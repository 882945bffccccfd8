import { describe, expect, it, vi } from 'vitest';
import { PoisonRecordError, streamHandler } from '../../functions/core/stream.ts';
import { lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';
import { streamEvent, streamRecord } from '../support/stream-events.ts';

/** What a call wrote to stdout, parsed where it is JSON (EMF lines are). */
async function stdoutOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return written.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('streamHandler', () => {
  it('reports the records that failed as batch item failures and counts each as StreamRecordFailed', async () => {
    quietLogger();
    const ok = streamRecord({ eventName: 'INSERT', newImage: { pk: 'A', sk: 'A', entity: 'thing' } });
    const bad = streamRecord({ eventName: 'INSERT', newImage: { pk: 'B', sk: 'B', entity: 'poison' } });
    const alsoBad = streamRecord({ eventName: 'INSERT', newImage: { pk: 'C', sk: 'C', entity: 'poison' } });
    const handler = streamHandler(async (change) => {
      if (change.newImage?.entity === 'poison') throw new PoisonRecordError('Not a thing.');
    });
    let result: unknown;
    const lines = await stdoutOf(async () => {
      result = await handler(streamEvent(ok, bad, alsoBad), lambdaContext());
    });
    expect(result).toEqual({
      batchItemFailures: [
        { itemIdentifier: bad.dynamodb?.SequenceNumber },
        { itemIdentifier: alsoBad.dynamodb?.SequenceNumber },
      ],
    });
    const emf = lines.filter((line) => line._aws !== undefined && 'StreamRecordFailed' in line);
    expect(emf).toHaveLength(1);
    expect(emf[0]?.StreamRecordFailed).toEqual([1, 1]);
  });

  it('writes no metric line when every record went through', async () => {
    const handler = streamHandler(async () => undefined);
    const lines = await stdoutOf(() =>
      handler(
        streamEvent(streamRecord({ eventName: 'INSERT', newImage: { pk: 'A', sk: 'A' } })),
        lambdaContext(),
      ),
    );
    expect(lines.filter((line) => line._aws !== undefined && 'StreamRecordFailed' in line)).toEqual([]);
  });
});
