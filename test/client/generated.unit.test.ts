import { describe, expect, it } from 'vitest';
import { committedTypes, GENERATED_FILE, generateTypes } from '../../client/scripts/generate.ts';

describe('the typed client', () => {
  it('has generated types that match the route table (else: npm run generate -w client)', async () => {
    const fresh = await generateTypes();
    expect(committedTypes() === fresh, `${GENERATED_FILE} is stale: run npm run generate -w client`).toBe(
      true,
    );
  });
});
