import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** Keys Powertools Logger writes on every line; what is left are the line's own fields. */
const ENVELOPE_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'requestId',
]);

const LEVEL_STYLES: Record<string, Style> = {
  DEBUG: 'gray',
  INFO: 'green',
  WARN: 'yellow',
  ERROR: 'red',
  CRITICAL: ['red', 'bold'],
  METRIC: 'cyan',
};

/** `CatalogGetProductFunctionAB3868C0` -> `CatalogGetProduct` (consumers: `...ConsumerFunction...`). */
export function shortFunctionName(logicalId: string): string {
  return logicalId.replace(/(Consumer)?Function[0-9A-F]{8}$/, '') || logicalId;
}

/** `2025-01-02T12:34:56.789Z` -> `12:34:56.789` (local runs read best with the time of day only). */
function timeOfDay(timestamp: unknown): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toISOString().slice(11, 23);
}

/** A value as one short token: strings as they are (quoted when they contain spaces), the rest as JSON. */
function token(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** The metrics of an EMF line (`_aws.CloudWatchMetrics`): `OrderPlaced=1 currency=EUR`. */
function emfSummary(line: Record<string, unknown>): string | undefined {
  const aws = line._aws as {
    CloudWatchMetrics?: { Dimensions?: string[][]; Metrics?: { Name: string }[] }[];
  };
  const directives = aws?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const names = directives.flatMap((directive) => (directive.Metrics ?? []).map((metric) => metric.Name));
  const dimensions = [
    ...new Set(directives.flatMap((directive) => (directive.Dimensions ?? []).flat())),
  ].filter((name) => name !== 'service');
  return [
    ...names.map((name) => `${name}=${token(line[name])}`),
    ...dimensions.map((name) => `${name}=${token(line[name])}`),
  ].join(' ');
}

/**
 * One line a function wrote, for a person reading `npm start`: time, level, function, message,
 * the line's own fields as `key=value`, and the request id; EMF lines as `METRIC name=value`;
 * errors with their message and the first frames of their stack. Lines that are not JSON (the
 * runtime's own, a stray console.log) pass through after the function's name.
 */
export function formatFunctionLog(logicalId: string, raw: string, options: { color?: boolean } = {}): string {
  const paint = (style: Style, text: string) =>
    options.color === false ? text : styleText(style, text, { validateStream: options.color !== true });
  const name = paint('magenta', shortFunctionName(logicalId));
  let line: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    line = parsed as Record<string, unknown>;
  } catch {
    return `${paint('gray', timeOfDay(undefined))} ${name} ${raw}`;
  }
  if (line.type === 'platform.initReport') {
    const record = (line.record ?? {}) as {
      status?: string;
      errorType?: string;
      metrics?: { durationMs?: number };
    };
    const text = `INIT_REPORT Init Duration: ${record.metrics?.durationMs ?? '?'} ms Status: ${record.status ?? '?'}${record.errorType ? ` Error Type: ${record.errorType}` : ''}`;
    return `${paint('gray', timeOfDay(line.time))} ${paint(record.status === 'success' ? 'gray' : 'red', 'INIT'.padEnd(5))} ${name} ${text}`;
  }
  const metrics = emfSummary(line);
  if (metrics !== undefined) {
    const at =
      typeof line._aws === 'object' && line._aws
        ? (line._aws as { Timestamp?: number }).Timestamp
        : undefined;
    const time = paint('gray', timeOfDay(at ? new Date(at).toISOString() : undefined));
    return `${time} ${paint(LEVEL_STYLES.METRIC as Style, 'METRIC'.padEnd(5))} ${name} ${metrics}`;
  }
  const level = String(line.level ?? line.type ?? 'LOG').toUpperCase();
  const fields = Object.entries(line)
    .filter(([key]) => !ENVELOPE_KEYS.has(key) && key !== 'error' && key !== 'type')
    .map(([key, value]) => `${paint('gray', `${key}=`)}${token(value)}`);
  const error = line.error as { name?: string; message?: string; stack?: string } | undefined;
  const errorText =
    error && typeof error === 'object'
      ? ` ${paint('red', `${error.name ?? 'Error'}: ${error.message ?? ''}`)}${
          error.stack
            ? `\n${error.stack
                .split('\n')
                .slice(1, 4)
                .map((frame) => paint('gray', `    ${frame.trim()}`))
                .join('\n')}`
            : ''
        }`
      : '';
  const requestId = typeof line.requestId === 'string' ? paint('gray', ` (${line.requestId})`) : '';
  const message = typeof line.message === 'string' ? line.message : token(line.message ?? '');
  return [
    `${paint('gray', timeOfDay(line.timestamp ?? line.time))} ${paint(LEVEL_STYLES[level] ?? 'white', level.padEnd(5))} ${name} ${message}`,
    fields.length > 0 ? ` ${fields.join(' ')}` : '',
    requestId,
    errorText,
  ].join('');
}
