// `npm run events`: regenerates events/ (one sample API Gateway v2 event per route) from the route table.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';

readCommandLine({
  command: 'npm run events',
  summary:
    'Regenerates events/ from the route table: one sample API Gateway v2 event per route, for ' +
    '`npm run invoke` and `sam local invoke`. A test fails when the committed files drift.',
  options: {},
});
// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { sampleEventFiles } = await import('../lib/api/sample-events.ts');
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');

const dir = path.join(PROJECT_ROOT, 'events');
mkdirSync(dir, { recursive: true });
const files = sampleEventFiles();
for (const stale of readdirSync(dir).filter((name) => name.endsWith('.json') && !files.has(name))) {
  rmSync(path.join(dir, stale));
  console.log(`removed events/${stale}`);
}
for (const [name, event] of files) {
  writeFileSync(path.join(dir, name), `${JSON.stringify(event, null, 2)}\n`);
}
console.log(`wrote ${files.size} sample events to events/`);
