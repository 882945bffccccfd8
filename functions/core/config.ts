/**
 * A function's configuration: the environment variables its modules read. Each module that
 * reads one declares it at its top level (`declareEnv`), with what a well-formed value looks
 * like; the handler wrappers (`http`, `lambda`) check every declared variable during the init
 * phase, so a deployment with a missing or malformed value fails its cold start with one
 * message naming the variables, instead of failing each request later. Values are read where
 * they are used (`requireEnv`), so tests can still set them after importing a module.
 */

/** Thrown at cold start for a missing or malformed variable; Lambda reports it as the init error. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Says what is wrong with a value (an "expected ..." phrase), or undefined when it is fine. */
export type EnvCheck = (value: string) => string | undefined;

interface Declaration {
  readonly check?: EnvCheck;
  /** Whether the variable must be set now (e.g. only for one payment provider); always by default. */
  readonly when?: () => boolean;
}

const declared = new Map<string, Declaration[]>();

/**
 * Declares that this function reads `name`. Call it at module top level, next to the code that
 * reads the variable, so every function whose bundle contains that code requires it (or, with
 * `when`, requires it under that condition).
 */
export function declareEnv(name: string, check?: EnvCheck, when?: () => boolean): void {
  const list = declared.get(name) ?? [];
  list.push({ ...(check ? { check } : {}), ...(when ? { when } : {}) });
  declared.set(name, list);
}

/**
 * A `when` for a module that every function bundles but only some use (the cursor key of the
 * catalog store, say): its variable is checked when it is set, and a function that uses it
 * without it fails on first use with the same configuration error.
 */
export const whenSet = (name: string) => (): boolean => process.env[name] !== undefined;

/** Checks: an ARN of a Secrets Manager secret. */
export const secretArn: EnvCheck = (value) =>
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(value)
    ? undefined
    : 'expected the ARN of a Secrets Manager secret';

/** Checks: an absolute http(s) or ws(s) URL. */
export const url: EnvCheck = (value) => {
  try {
    const parsed = new URL(value);
    return ['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) ? undefined : 'expected a URL';
  } catch {
    return 'expected a URL';
  }
};

/** Checks: a number above zero. */
export const positiveNumber: EnvCheck = (value) =>
  Number.isFinite(Number(value)) && Number(value) > 0 ? undefined : 'expected a number above 0';

/** Checks: one of the given values, exactly. */
export const oneOf =
  (values: readonly string[]): EnvCheck =>
  (value) =>
    values.includes(value) ? undefined : `expected one of ${values.join(', ')}`;

/**
 * Reads a required environment variable. A missing value is a deployment fault; at cold start
 * `checkEnvironment` has already named it, so this only throws outside Lambda (tests, tools).
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(
      `Configuration error: environment variable ${name} is not set for this function.`,
    );
  }
  return value;
}

/** What is wrong with the declared variables, one phrase each; empty when all are fine. */
export function environmentProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const [name, declarations] of [...declared].sort(([a], [b]) => a.localeCompare(b))) {
    const applicable = declarations.filter((declaration) => declaration.when?.() ?? true);
    if (applicable.length === 0) continue;
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push(`${name} is not set`);
      continue;
    }
    const wrong = applicable.map((declaration) => declaration.check?.(value)).find(Boolean);
    if (wrong) problems.push(`${name} is '${value}', ${wrong}`);
  }
  return problems;
}

/** Throws one `ConfigurationError` naming every declared variable that is missing or malformed. */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const problems = environmentProblems(env);
  if (problems.length > 0) {
    throw new ConfigurationError(`Configuration error: ${problems.join('; ')}.`);
  }
}

/**
 * Runs `checkEnvironment` when this module is loaded by a Lambda runtime (the local runtime sets
 * the same variables Lambda does). Handler wrappers call it at module init, after every module
 * of the bundle has declared what it reads. Tests that import handlers directly, outside any
 * execution environment, configure them afterwards and are not checked here.
 */
export function checkEnvironmentAtColdStart(): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) checkEnvironment();
}
