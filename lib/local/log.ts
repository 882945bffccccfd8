import { styleText } from 'node:util';
import { formatFunctionLog, shortFunctionName } from './lambda/log-format.ts';

/**
 * How a local backend writes what happens: `raw` (the default, what tests read: the emulator's
 * lines as they are, a function's lines after `  [LogicalId] `), `pretty` (`npm start`: a time on
 * every line, function lines one readable line each) or `json` (every line one JSON object, the
 * emulator's own included, so the output pipes into `jq`).
 */
export type LogFormat = 'raw' | 'pretty' | 'json';
/** The formats `npm start -- --log-format` offers. */
export const START_LOG_FORMATS = ['pretty', 'json'] as const;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * What a line of the emulator is about, for the JSON format (the text is the `message`): its
 * level (INFO unless said), and named fields such as an access line's `status` or `function`.
 */
export interface LogFields {
  readonly level?: LogLevel;
  readonly [field: string]: unknown;
}

/** A line of the emulator's own: text for people, fields for machines. */
export type EmulatorLog = (line: string, fields?: LogFields) => void;

export interface LocalLogOutput {
  /** For the emulator's components (API Gateway, streams, schedules...). */
  readonly emulator: EmulatorLog;
  /** For what a function wrote, by its logical id. */
  readonly fromFunction: (logicalId: string, raw: string) => void;
}

const LEVEL_STYLES: Readonly<Record<LogLevel, Parameters<typeof styleText>[0]>> = {
  DEBUG: 'gray',
  INFO: 'white',
  WARN: 'yellow',
  ERROR: 'red',
};

const timeOfDay = (date: Date) => date.toISOString().slice(11, 23);

/** A function's line as one JSON object: its own fields (when it wrote JSON) and the function's short name. */
export function functionLogJson(logicalId: string, raw: string, now = new Date()): string {
  const name = shortFunctionName(logicalId);
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return JSON.stringify({ function: name, ...parsed });
    }
  } catch {
    // Not JSON: the runtime's own text lines, a stray console.log.
  }
  return JSON.stringify({ timestamp: now.toISOString(), level: 'INFO', function: name, message: raw });
}

/** An emulator line as one JSON object: time, level, message and its fields. */
export function emulatorLogJson(line: string, fields: LogFields = {}, now = new Date()): string {
  const { level = 'INFO', ...rest } = fields;
  return JSON.stringify({
    timestamp: now.toISOString(),
    level,
    source: 'emulator',
    message: line.trim(),
    ...rest,
  });
}

/**
 * The two ways into one sink (`log` of a backend, stdout by default), formatted as asked.
 * `pretty` puts the time of day before each emulator line (function lines carry their own).
 */
export function localLogOutput(
  sink: (line: string) => void,
  format: LogFormat = 'raw',
  options: { readonly color?: boolean } = {},
): LocalLogOutput {
  if (format === 'json') {
    return {
      emulator: (line, fields) => sink(emulatorLogJson(line, fields)),
      fromFunction: (logicalId, raw) => sink(functionLogJson(logicalId, raw)),
    };
  }
  if (format === 'pretty') {
    const paint = (style: Parameters<typeof styleText>[0], text: string) =>
      options.color === false ? text : styleText(style, text, { validateStream: options.color !== true });
    return {
      emulator: (line, fields) =>
        sink(
          `${paint('gray', timeOfDay(new Date()))} ${paint(LEVEL_STYLES[fields?.level ?? 'INFO'], line.trim())}`,
        ),
      fromFunction: (logicalId, raw) => sink(formatFunctionLog(logicalId, raw, options)),
    };
  }
  return {
    emulator: (line) => sink(line),
    fromFunction: (logicalId, raw) => sink(`  [${logicalId}] ${raw}`),
  };
}
