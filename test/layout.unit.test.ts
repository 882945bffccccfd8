import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST_DIR = import.meta.dirname;
const LAYER = /\.(unit|integration|e2e|infra)\.test\.ts$/;

/** Every `*.test.ts` below test/, relative to it. */
function testFiles(dir = TEST_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [path.relative(TEST_DIR, full)] : [];
  });
}

// The vitest projects pick their files by suffix (vitest.config.ts): a test file without one
// would never run, and nothing else would say so.
describe('the test tree', () => {
  it('names the layer of every test file in its suffix, so a vitest project runs it', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => !LAYER.test(file))).toEqual([]);
  });
});
