// Child process of `npm run bench`: one fresh Node process imports one bundle, the way the
// Lambda Node runtime loads a handler at cold start, and reports how long the import took.
// Run as: node import-probe.mjs <bundle.mjs> <exportName> <marker>, with the function's env.
// Plain JavaScript on purpose: a .ts entry point makes Node load its type stripper first,
// which costs ~100 ms per process and would double the bench's run time for nothing.
import { pathToFileURL } from 'node:url';

const [file, exportName, marker] = process.argv.slice(2);
if (!file || !exportName || !marker)
  throw new Error('usage: node import-probe.mjs <bundle> <export> <marker>');
const url = pathToFileURL(file).href;
// Only the import: resolving, reading, parsing and evaluating the bundle's top level.
const started = performance.now();
const module = await import(url);
const importMs = performance.now() - started;
const result = {
  importMs,
  hasHandler: typeof module[exportName] === 'function',
  rssMb: process.memoryUsage.rss() / 2 ** 20,
};
// Exit explicitly: a bundle may hold handles open (timers, agents) that would keep us alive.
process.stdout.write(`${marker}${JSON.stringify(result)}\n`, () => process.exit(0));
