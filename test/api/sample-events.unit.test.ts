import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE, ROUTES, routeKey } from '../../lib/api/routes.ts';
import { sampleEventFiles } from '../../lib/api/sample-events.ts';

const EVENTS_DIR = path.join(import.meta.dirname, '..', '..', 'events');

describe('events/', () => {
  const expected = sampleEventFiles();

  it('holds exactly one sample event per route, plus the $default route', () => {
    const present = readdirSync(EVENTS_DIR).filter((name) => name.endsWith('.json'));
    expect(present.sort()).toEqual([...expected.keys()].sort());
    expect(expected.size).toBe(ROUTES.length + 1);
  });

  it('is in sync with the route table (run `npm run events` after changing routes)', () => {
    for (const [name, event] of expected) {
      const onDisk = JSON.parse(readFileSync(path.join(EVENTS_DIR, name), 'utf8')) as unknown;
      expect(onDisk, name).toEqual(event);
    }
  });

  it('gives every route key its own event', () => {
    const keys = [...expected.values()].map((event) => event.routeKey);
    expect(keys.sort()).toEqual([...ROUTES.map(routeKey), DEFAULT_ROUTE.routeKey].sort());
  });
});
