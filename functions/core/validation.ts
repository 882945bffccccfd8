import * as z from 'zod/mini';
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

/** A whole number as a query string carries it: decimal digits, no sign, no leading zero (16 at most). */
const DECIMAL_DIGITS = /^(?:0|[1-9]\d{0,15})$/;

/**
 * An integer query parameter between `min` and `max` (`defaultValue` when absent). Only plain
 * decimal digits are read as a number: `Number()`, which `z.coerce` uses, would also take
 * `0x10`, `1e1`, `010`, ` 10 `, `+5` and `-0`, none of which the document's `type: integer`
 * allows. Anything else is a 400 naming the field (`query.limit`). Documented as the integer it
 * stands for.
 */
export function queryInteger(min: number, max: number, defaultValue: number) {
  return z.pipe(decimalDigits(), z._default(z.int().check(z.minimum(min), z.maximum(max)), defaultValue));
}

/** Like `queryInteger`, without a default: absent stays undefined. */
export function optionalQueryInteger(min: number, max: number) {
  return z.optional(z.pipe(decimalDigits(), z.int().check(z.minimum(min), z.maximum(max))));
}

function decimalDigits() {
  return z.transform((value: unknown, context) => {
    if (value === undefined || (typeof value === 'string' && DECIMAL_DIGITS.test(value))) {
      return value === undefined ? undefined : Number(value);
    }
    context.issues.push({
      code: 'custom',
      input: value,
      message: 'Must be a whole number in decimal digits.',
    });
    return z.NEVER;
  });
}

/**
 * Empty (the length check's to report, once) or holding something other than white space. As a
 * JSON Schema `pattern` it tells clients what the API refuses: a value of spaces only.
 */
export const NOT_BLANK = /^$|\S/;

/**
 * Text whose surrounding white space is removed before it is checked and stored: 1 to
 * `maxLength` characters after trimming. The document says so (description), and its `pattern`
 * refuses white space alone, as the API does.
 */
export function trimmedText(maxLength: number) {
  return z.string().check(
    z.trim(),
    z.minLength(1),
    z.maxLength(maxLength),
    // Always true once trimmed: it is there for the document (see NOT_BLANK).
    z.regex(NOT_BLANK, 'Must not be only white space.'),
    z.describe(`Surrounding white space is removed first; then 1 to ${maxLength} characters.`),
  );
}
