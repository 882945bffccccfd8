/**
 * Lambda event filtering (`FilterCriteria` of an event source mapping), as Lambda applies it to
 * the records it reads from a stream: the EventBridge pattern syntax over the record exactly as
 * the function would receive it.
 *
 * - `Filters` are OR'd; a record with no `FilterCriteria` (or an empty list) always matches.
 * - A pattern is a JSON object; every key it names must match (keys it does not name are
 *   ignored); an object value descends into the record, an array value is a list of
 *   alternatives for the leaf there.
 * - Leaf alternatives: literal strings, numbers, booleans and `null` match equal values of the
 *   same JSON type; operators `prefix`, `suffix`, `equals-ignore-case`, `anything-but`,
 *   `exists`, `numeric` (the ones Lambda documents). `$or` combines sub-patterns as EventBridge
 *   does.
 * - Arrays in the record match when any element matches (EventBridge semantics).
 * - Only leaves are values: an object in the record is not a value, so `{"exists": true}` on
 *   `dynamodb.NewImage.x` does not match (the pattern must name the type: `x.S`), and
 *   `{"exists": false}` does. AWS behaves so (LocalStack's snapshot tests, recorded against AWS).
 *
 * DynamoDB numbers: a stream record carries numbers in DynamoDB JSON, as strings
 * (`{"N": "12"}`), and Lambda does not convert them before filtering. `numeric` compares JSON
 * numbers only, so `{"N": [{"numeric": [">", 10]}]}` never matches a DynamoDB record (AWS
 * behaves so: LocalStack's AWS-validated tests record zero invocations for such filters, and
 * Lambda's DynamoDB filtering guide only shows string, boolean and exists filters on images).
 * Match DynamoDB numbers with string literals (`{"N": ["12"]}`) or `prefix`/`anything-but`.
 * `ApproximateCreationDateTime` is a JSON number in the record, so `numeric` works on it.
 */

export interface FilterCriteria {
  readonly Filters?: readonly { readonly Pattern?: string }[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Leaf = null | boolean | number | string;

/** A compiled pattern: a predicate over the record. */
type Matcher = (value: unknown) => boolean;

export class FilterPatternError extends Error {
  constructor(pattern: string, reason: string) {
    super(`Invalid filter pattern definition ${pattern}: ${reason}`);
    this.name = 'FilterPatternError';
  }
}

const compiled = new Map<string, Matcher>();

/** Whether a record passes the mapping's filter criteria (any filter matching). */
export function matchesFilterCriteria(record: object, criteria: FilterCriteria | undefined): boolean {
  const filters = criteria?.Filters ?? [];
  if (filters.length === 0) return true;
  return filters.some((filter) => compileFilterPattern(filter.Pattern ?? '')(record));
}

/**
 * Checks every pattern of the criteria up front, as Lambda does when the mapping is created;
 * throws `FilterPatternError` naming the first invalid pattern.
 */
export function validateFilterCriteria(criteria: FilterCriteria | undefined): void {
  for (const filter of criteria?.Filters ?? []) compileFilterPattern(filter.Pattern ?? '');
}

/** Compiles (and caches) one pattern string into a predicate; throws on invalid patterns. */
export function compileFilterPattern(pattern: string): Matcher {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(pattern);
  } catch {
    throw new FilterPatternError(pattern, 'not valid JSON');
  }
  if (!isObject(parsed)) throw new FilterPatternError(pattern, 'a pattern must be a JSON object');
  const matcher = compileObject(parsed as { [key: string]: Json }, pattern);
  compiled.set(pattern, matcher);
  return matcher;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileObject(pattern: { [key: string]: Json }, source: string): Matcher {
  const checks: Matcher[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw new FilterPatternError(source, '$or takes an array of at least two pattern objects');
      }
      const alternatives = value.map((alternative) =>
        compileObject(alternative as { [key: string]: Json }, source),
      );
      checks.push((record) => alternatives.some((alternative) => alternative(record)));
      continue;
    }
    if (Array.isArray(value)) {
      const leaf = compileLeaf(value, source, key);
      checks.push((record) => leaf(leafValues(isObject(record) ? record[key] : undefined)));
    } else if (isObject(value)) {
      const nested = compileObject(value as { [key: string]: Json }, source);
      checks.push((record) => {
        const child = isObject(record) ? record[key] : undefined;
        // An array of objects matches when any of its elements does.
        return Array.isArray(child) ? child.some((element) => nested(element)) : nested(child);
      });
    } else {
      throw new FilterPatternError(
        source,
        `the value of "${key}" must be an array of alternatives or an object, not ${JSON.stringify(value)}`,
      );
    }
  }
  return (record) => checks.every((check) => check(record));
}

/** The leaf values at a position of the record: none when absent or not a leaf (an object). */
function leafValues(value: unknown): Leaf[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    const leaves = value.filter((element) => !isObject(element) && !Array.isArray(element)) as Leaf[];
    return leaves.length > 0 ? leaves : undefined;
  }
  if (isObject(value)) return undefined;
  return [value as Leaf];
}

type LeafMatcher = (values: Leaf[] | undefined) => boolean;

function compileLeaf(alternatives: Json[], source: string, key: string): LeafMatcher {
  const matchers = alternatives.map((alternative) => compileAlternative(alternative, source, key));
  return (values) => matchers.some((matcher) => matcher(values));
}

const anyValue =
  (test: (value: Leaf) => boolean): LeafMatcher =>
  (values) =>
    values?.some(test) === true;

function compileAlternative(alternative: Json, source: string, key: string): LeafMatcher {
  if (alternative === null || typeof alternative !== 'object') {
    return anyValue((value) => value === alternative);
  }
  if (Array.isArray(alternative)) {
    throw new FilterPatternError(source, `nested arrays are not allowed (under "${key}")`);
  }
  const entries = Object.entries(alternative);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined) {
    throw new FilterPatternError(source, `an operator object takes exactly one operator (under "${key}")`);
  }
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const test = stringTest(operator, operand as Json, source, key);
      return anyValue((value) => typeof value === 'string' && test(value));
    }
    case 'equals-ignore-case': {
      const expected = requireString(operand as Json, source, operator).toLowerCase();
      return anyValue((value) => typeof value === 'string' && value.toLowerCase() === expected);
    }
    case 'anything-but':
      return compileAnythingBut(operand as Json, source, key);
    case 'exists': {
      if (typeof operand !== 'boolean') throw new FilterPatternError(source, 'exists takes true or false');
      return (values) => (values !== undefined) === operand;
    }
    case 'numeric': {
      const test = compileNumeric(operand as Json, source);
      // JSON numbers only: DynamoDB's string-typed numbers ({"N": "12"}) never match.
      return anyValue((value) => typeof value === 'number' && test(value));
    }
    default:
      throw new FilterPatternError(
        source,
        `unknown operator "${operator}" (Lambda supports prefix, suffix, equals-ignore-case, anything-but, exists, numeric)`,
      );
  }
}

function requireString(value: Json, source: string, operator: string): string {
  if (typeof value !== 'string') throw new FilterPatternError(source, `${operator} takes a string`);
  return value;
}

/** `{"prefix": "a"}` or `{"prefix": {"equals-ignore-case": "a"}}`, likewise suffix. */
function stringTest(
  operator: 'prefix' | 'suffix',
  operand: Json,
  source: string,
  key: string,
): (value: string) => boolean {
  let expected: string;
  let ignoreCase = false;
  if (isObject(operand)) {
    const inner = Object.entries(operand);
    if (inner.length !== 1 || inner[0]?.[0] !== 'equals-ignore-case') {
      throw new FilterPatternError(source, `${operator} takes a string or {"equals-ignore-case": string}`);
    }
    expected = requireString(inner[0][1] as Json, source, `${operator} equals-ignore-case`).toLowerCase();
    ignoreCase = true;
  } else {
    expected = requireString(operand, source, `${operator} (under "${key}")`);
  }
  return (value) => {
    const subject = ignoreCase ? value.toLowerCase() : value;
    return operator === 'prefix' ? subject.startsWith(expected) : subject.endsWith(expected);
  };
}

function compileAnythingBut(operand: Json, source: string, key: string): LeafMatcher {
  if (isObject(operand)) {
    const inner = Object.entries(operand);
    const [operator, value] = inner[0] ?? [];
    if (inner.length !== 1 || operator === undefined) {
      throw new FilterPatternError(source, 'anything-but takes one operator object');
    }
    if (operator === 'prefix' || operator === 'suffix') {
      const test = stringTest(operator, value as Json, source, key);
      return anyValue((candidate) => typeof candidate === 'string' && !test(candidate));
    }
    if (operator === 'equals-ignore-case') {
      const excluded = (Array.isArray(value) ? value : [value]).map((item) =>
        requireString(item as Json, source, 'anything-but equals-ignore-case').toLowerCase(),
      );
      return anyValue(
        (candidate) => typeof candidate === 'string' && !excluded.includes(candidate.toLowerCase()),
      );
    }
    throw new FilterPatternError(source, `anything-but does not take "${operator}"`);
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  for (const item of excluded) {
    if (typeof item !== 'string' && typeof item !== 'number') {
      throw new FilterPatternError(source, 'anything-but takes strings or numbers');
    }
  }
  return anyValue((candidate) => !excluded.includes(candidate as string | number));
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function compileNumeric(operand: Json, source: string): (value: number) => boolean {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new FilterPatternError(source, 'numeric takes [op, number] or [op, number, op, number]');
  }
  const tests: ((value: number) => boolean)[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    const compare = typeof op === 'string' ? COMPARISONS[op] : undefined;
    if (!compare || typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new FilterPatternError(source, `numeric: bad comparison ${JSON.stringify([op, bound])}`);
    }
    if (operand.length === 4 && op === '=') {
      throw new FilterPatternError(source, 'numeric: "=" cannot be part of a range');
    }
    tests.push((value) => compare(value, bound));
  }
  if (operand.length === 4) {
    const [first, , second] = operand as string[];
    const lower = (op: string | undefined) => op === '>' || op === '>=';
    if (lower(first) === lower(second)) {
      throw new FilterPatternError(source, 'numeric: a range needs one lower and one upper bound');
    }
  }
  return (value) => tests.every((test) => test(value));
}
