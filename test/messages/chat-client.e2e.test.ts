import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useShop } from '../support/shop.ts';

const shop = useShop();
const children: ChildProcessWithoutNullStreams[] = [];

/** Runs `npm run chat` (bin/chat.ts) against the test backend; `output` accumulates its stdout. */
function chat(...args: string[]) {
  const child = spawn(
    process.execPath,
    [path.resolve('bin/chat.ts'), '--api', shop.api, '--ws', shop.backend.webSocketUrl as string, ...args],
    { stdio: 'pipe' },
  );
  children.push(child);
  const session = { child, output: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    session.output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    session.output += chunk.toString();
  });
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  const waitFor = async (pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = session.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`No ${pattern} in: ${session.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    ...session,
    get output() {
      return session.output;
    },
    waitFor,
    type: (line: string) => child.stdin.write(`${line}\n`),
  };
}

afterAll(async () => {
  for (const child of children) child.kill();
});

describe('npm run chat (the README’s two-terminal example)', () => {
  it('delivers what one terminal types to the other, and the reply back', async () => {
    const alice = chat('--name', 'alice');
    const [, aliceId] = await alice.waitFor(/user id (\w+); connected/);
    const bob = chat('--name', 'bob', '--to', aliceId as string);
    await bob.waitFor(/Type a message/);
    bob.type('hello from bob');
    await alice.waitFor(/< hello from bob/);
    alice.type('hi bob');
    await bob.waitFor(/< hi bob/);
    // Alice's client marked bob's message read on arrival; bob sees the receipt.
    await bob.waitFor(/read by /);
    expect(`${alice.output}${bob.output}`).not.toMatch(/: \d{3} |Could not connect/);
  }, 30_000);
});
