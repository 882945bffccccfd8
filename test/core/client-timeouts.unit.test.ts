import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/endpoint-function.ts';

const FUNCTIONS_DIR = path.join(PROJECT_ROOT, 'functions');

/** Every `new SomethingClient(...)` in the functions' sources, with its file and arguments. */
function sdkClientConstructions(): { file: string; client: string; args: string }[] {
  const found: { file: string; client: string; args: string }[] = [];
  for (const entry of readdirSync(FUNCTIONS_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name));
    const source = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
    for (const match of source.matchAll(/new (\w+Client)\(([^)]*)\)/g)) {
      found.push({ file, client: match[1] as string, args: match[2] as string });
    }
  }
  return found;
}

describe('AWS SDK clients in functions', () => {
  it('are found in the sources (the scan below looks at something)', () => {
    const clients = new Set(sdkClientConstructions().map((c) => c.client));
    expect(clients).toContain('DynamoDBClient');
    expect(clients).toContain('SecretsManagerClient');
  });

  it('all take the explicit connection and request timeouts of functions/core/client-timeouts.ts', () => {
    // The SDK's default has no request timeout: a dependency that stops answering would hold
    // the function until Lambda kills it, with nothing logged by us.
    const without = sdkClientConstructions()
      .filter((c) => !c.args.includes('AWS_CLIENT_CONFIG'))
      .map((c) => `${c.file}: new ${c.client}(${c.args})`);
    expect(without).toEqual([]);
  });
});
