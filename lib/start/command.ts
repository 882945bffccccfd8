import type { CommandSpec, OptionTable } from '../cli/command-line.ts';
import { START_LOG_FORMATS } from '../local/log.ts';
import { START_ENVIRONMENT } from './settings.ts';

/** `npm start`'s command line: what bin/local.ts accepts and what `npm start -- --help` says. */
export const START_COMMAND = {
  command: 'npm start',
  summary:
    'The whole backend on this machine, no AWS account, no Docker: synthesizes the local environment, ' +
    'starts DynamoDB Local, seeds demo data, serves the HTTP and WebSocket APIs.',
  options: {
    reset: { type: 'boolean', describe: 'wipe .local/data first (a fresh demo catalog and accounts)' },
    'in-memory': { type: 'boolean', describe: 'keep nothing between runs' },
    'log-format': {
      type: 'string',
      placeholder: START_LOG_FORMATS.join('|'),
      choices: START_LOG_FORMATS,
      default: 'pretty',
      describe: 'pretty: one readable line each; json: every stdout line a JSON object (pipe to jq)',
    },
    assembly: {
      type: 'string',
      placeholder: '<dir>',
      describe: 'serve this synthesized cloud assembly of the local environment instead of synthesizing one',
    },
    'no-watch': {
      type: 'boolean',
      describe:
        'do not watch functions/, lib/api/ and lib/config/ (by default a saved handler is rebuilt and served at once)',
    },
    host: {
      type: 'string',
      placeholder: '<address>',
      describe:
        'interface the APIs listen on (overrides HOST); 0.0.0.0 lets a phone on your network reach them',
    },
  },
  sections: [{ title: 'Environment', rows: START_ENVIRONMENT }],
  notes: [
    'Listening on 0.0.0.0 exposes the API, with its seeded admin and demo passwords, to everyone on the',
    'network: use it on a network you trust only.',
  ],
} as const satisfies CommandSpec<OptionTable>;
