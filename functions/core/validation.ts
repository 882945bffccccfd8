import type * as z from 'zod/mini';
import { badRequest, type FieldError } from './errors.ts';

/** Where an input came from; prefixes field paths so clients can tell `query.limit` from `body.limit`. */
export type InputSource = 'query' | 'path' | 'body' | 'header';

/** Validates one part of a request against its schema; throws a 400 listing every bad field. */
export function parseInput<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  source: InputSource,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors: FieldError[] = [];
  for (const issue of result.error.issues) {
    const base = [source, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: `${base}.${key}`, message: 'Unknown field.' });
    } else {
      errors.push({ path: base, message: describeIssue(issue, valueAt(input, issue.path)) });
    }
  }
  return failValidation(source, errors);
}

function failValidation(source: InputSource, errors: FieldError[]): never {
  throw badRequest(
    `The ${source} has ${errors.length === 1 ? 'an invalid field' : 'invalid fields'}.`,
    errors,
  );
}

/** The value at an issue's path (zod does not report inputs by default). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  // A message the schema spelled out ('Must be a product id (ULID).') beats a generic one.
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'Required.' : `Expected ${issue.expected}.`;
    case 'too_small':
      return issue.origin === 'string'
        ? `Must be at least ${issue.minimum} characters.`
        : issue.origin === 'array'
          ? `Must have at least ${issue.minimum} items.`
          : `Must be at least ${issue.minimum}.`;
    case 'too_big':
      return issue.origin === 'string'
        ? `Must be at most ${issue.maximum} characters.`
        : issue.origin === 'array'
          ? `Must have at most ${issue.maximum} items.`
          : `Must be at most ${issue.maximum}.`;
    case 'invalid_value':
      return `Must be one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_format':
      return `Must be a valid ${issue.format === 'regex' ? 'value' : issue.format}.`;
    default:
      return 'Invalid value.';
  }
}
