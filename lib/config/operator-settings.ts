import type { EnvironmentConfig, EnvironmentName } from './environments.ts';

/**
 * Settings that belong to one deployment, not to the code: who gets paged, which web origins
 * may call the API, its domain. An operator gives them as CDK context, without editing code:
 *
 *   npx cdk deploy -c env=prod -c alarmEmail=oncall@example.org --all      (one value, this run)
 *
 * or, to keep them, per environment in cdk.json's `context`:
 *
 *   "shop:prod": { "alarmEmail": "oncall@example.org", "corsOrigins": ["https://shop.example.org"] }
 *
 * A `-c` value wins over cdk.json's. Synthesis reads them with `tryGetContext` only (no lookups,
 * no AWS call) and checks each, failing with a message that names the key. Secrets (the Stripe
 * key, the webhook secret) are not settings: they live in Secrets Manager (`npm run deploy:check`
 * says whether they hold values).
 */
export interface OperatorSetting {
  /** What it is, for the README, `deploy:check` and error messages. */
  readonly describe: string;
  /** Environments that must not deploy without it (a placeholder counts as missing). */
  readonly requiredIn: readonly EnvironmentName[];
}

export const OPERATOR_SETTINGS = {
  alarmEmail: {
    describe: 'the email every alarm notifies; AWS sends it a confirmation to accept',
    requiredIn: ['staging', 'prod'],
  },
  corsOrigins: {
    describe:
      'origins of the web apps that call the API: https in staging and prod, a list or comma-separated',
    requiredIn: [],
  },
  domainName: {
    describe:
      'custom domain of the HTTP API, e.g. api.example.org, with certificateArn; it becomes the token issuer',
    requiredIn: [],
  },
  certificateArn: {
    describe: 'ACM certificate of domainName, in the region of the stacks',
    requiredIn: [],
  },
  issuerUrl: {
    describe: 'token issuer URL, when neither the custom domain nor the API URL should be it',
    requiredIn: [],
  },
  emailDomain: {
    describe:
      'the domain transactional email is sent from (an SES domain identity: publish its DKIM, SPF and DMARC records)',
    requiredIn: ['staging', 'prod'],
  },
  emailFrom: {
    describe: 'the From address of transactional email, on emailDomain (e.g. shop@mail.example.org)',
    requiredIn: ['staging', 'prod'],
  },
  paymentReturnUrl: {
    describe:
      'the app page a customer returns to after a 3-D Secure challenge (the payment provider’s return_url); https in staging and prod',
    requiredIn: ['staging', 'prod'],
  },
} as const satisfies Record<string, OperatorSetting>;

export type OperatorSettingName = keyof typeof OPERATOR_SETTINGS;

/** The values given for one environment (unset ones absent). */
export interface OperatorSettings {
  readonly alarmEmail?: string;
  readonly corsOrigins?: readonly string[];
  readonly domainName?: string;
  readonly certificateArn?: string;
  readonly issuerUrl?: string;
  readonly emailDomain?: string;
  readonly emailFrom?: string;
  readonly paymentReturnUrl?: string;
}

/** A setting that is malformed; the message names it and where it is set. */
export class OperatorSettingError extends Error {
  override readonly name = 'OperatorSettingError';
}

/** The cdk.json context key holding an environment's settings. */
export const settingsContextKey = (env: string): string => `shop:${env}`;

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f-]{36}$/;

/** A deployed environment serves browsers over https only; local and dev also serve a developer's http://localhost. */
const allowsHttp = (env: EnvironmentName) => env === 'local' || env === 'dev';

function origin(env: EnvironmentName, value: string, fail: (why: string) => never): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`"${value}" is not an origin (scheme, host and port, e.g. https://shop.example.org)`);
  }
  if (url.origin !== value.replace(/\/$/, ''))
    fail(`"${value}" is not an origin: no path, query or wildcard`);
  if (url.protocol !== 'https:' && !(allowsHttp(env) && url.protocol === 'http:'))
    fail(`"${value}" must be https in ${env}`);
  return url.origin;
}

function pageUrl(value: string, fail: (why: string) => never): URL {
  try {
    return new URL(value);
  } catch {
    return fail(`"${value}" is not a URL (e.g. https://shop.example.org/checkout/complete)`);
  }
}

function stringList(value: unknown, fail: (why: string) => never): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        return stringList(JSON.parse(trimmed), fail);
      } catch {
        return fail('is not a JSON list of strings');
      }
    }
    return trimmed
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return fail('must be a list of origins or a comma-separated string');
}

/**
 * The operator settings of `env` from the context: `-c <key>=<value>` first, then cdk.json's
 * `"shop:<env>": {...}`. Every value given is checked; a bad one throws naming the key.
 */
export function readOperatorSettings(
  env: EnvironmentName,
  context: (key: string) => unknown,
): OperatorSettings {
  const inFile = context(settingsContextKey(env));
  if (inFile !== undefined && (typeof inFile !== 'object' || inFile === null || Array.isArray(inFile))) {
    throw new OperatorSettingError(`Context "${settingsContextKey(env)}" must be an object of settings.`);
  }
  const fileSettings = (inFile ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fileSettings)) {
    if (!(key in OPERATOR_SETTINGS)) {
      throw new OperatorSettingError(
        `Unknown setting "${key}" in "${settingsContextKey(env)}"; known: ${Object.keys(OPERATOR_SETTINGS).join(', ')}.`,
      );
    }
  }
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(OPERATOR_SETTINGS) as OperatorSettingName[]) {
    const given = context(key);
    const raw = given ?? fileSettings[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const where = given !== undefined ? `-c ${key}` : `"${settingsContextKey(env)}".${key} in cdk.json`;
    const fail = (why: string): never => {
      throw new OperatorSettingError(`Operator setting ${key} (${where}) ${why}.`);
    };
    if (key === 'corsOrigins') {
      settings[key] = stringList(raw, fail).map((value) => origin(env, value, fail));
      continue;
    }
    if (typeof raw !== 'string') fail(`must be a string, got ${JSON.stringify(raw)}`);
    const value = String(raw).trim();
    if ((key === 'alarmEmail' || key === 'emailFrom') && !EMAIL.test(value)) {
      fail(`"${value}" is not an email address`);
    }
    if (key === 'emailDomain' && !HOSTNAME.test(value)) fail(`"${value}" is not a domain name`);
    if (key === 'domainName' && !HOSTNAME.test(value)) fail(`"${value}" is not a domain name`);
    if (key === 'certificateArn' && !CERTIFICATE_ARN.test(value)) {
      fail(`"${value}" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)`);
    }
    if (key === 'paymentReturnUrl') {
      const page = pageUrl(value, fail);
      if (page.protocol !== 'https:' && !(allowsHttp(env) && page.protocol === 'http:'))
        fail(`"${value}" must be https in ${env}`);
    }
    if (key === 'issuerUrl') {
      const url = origin(env, value, fail);
      if (url !== value.replace(/\/$/, '')) fail(`"${value}" must be a base URL`);
    }
    settings[key] = value;
  }
  if ((settings.domainName === undefined) !== (settings.certificateArn === undefined)) {
    throw new OperatorSettingError(
      'Operator settings domainName and certificateArn go together: give both (a custom domain needs its ACM certificate) or neither.',
    );
  }
  return settings as OperatorSettings;
}

/** An environment's config with the operator's settings in place of the defaults. */
export function withOperatorSettings(
  config: EnvironmentConfig,
  settings: OperatorSettings,
): EnvironmentConfig {
  const {
    alarmEmail,
    corsOrigins,
    domainName,
    certificateArn,
    issuerUrl,
    emailDomain,
    emailFrom,
    paymentReturnUrl,
  } = settings;
  const domain = emailDomain ?? config.email.domain;
  const email = {
    domain,
    // A From address given alone keeps its own domain only if it is the identity's.
    fromAddress: emailFrom ?? (emailDomain ? `shop@${emailDomain}` : config.email.fromAddress),
  };
  if (!email.fromAddress.endsWith(`@${domain}`)) {
    throw new OperatorSettingError(
      `Operator setting emailFrom (${email.fromAddress}) must be an address on emailDomain (${domain}): SES sends only from its verified identity.`,
    );
  }
  return {
    ...config,
    email,
    ...(corsOrigins ? { corsOrigins } : {}),
    ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
    ...(issuerUrl ? { issuerUrl } : {}),
    ...(paymentReturnUrl ? { paymentReturnUrl } : {}),
    ...(alarmEmail ? { alarms: { ...config.alarms, email: alarmEmail } } : {}),
  };
}

/** The placeholder domain of the defaults in code: a deployment must replace every value under it. */
const PLACEHOLDER = /(^|[@./])example\.com(\/|$)/i;

/** A setting an operator still has to give before `env` deploys. */
export interface SettingFinding {
  readonly setting: OperatorSettingName;
  readonly problem: string;
}

/**
 * What is still a placeholder (the code's `example.com` defaults) or missing in a deployable
 * environment's config: what `npm run deploy:check` lists and synthesis warns about.
 */
export function placeholderSettings(config: EnvironmentConfig): SettingFinding[] {
  if (config.name === 'local') return [];
  const findings: SettingFinding[] = [];
  const placeholder = (setting: OperatorSettingName, value: string) =>
    findings.push({ setting, problem: `${value} is a placeholder` });
  const email = config.alarms.email;
  if (email && PLACEHOLDER.test(email)) placeholder('alarmEmail', email);
  else if (!email && (OPERATOR_SETTINGS.alarmEmail.requiredIn as readonly string[]).includes(config.name)) {
    findings.push({ setting: 'alarmEmail', problem: `missing: ${config.name} alarms would notify nobody` });
  }
  for (const value of config.corsOrigins)
    if (PLACEHOLDER.test(new URL(value).hostname)) placeholder('corsOrigins', value);
  if (config.customDomain && PLACEHOLDER.test(config.customDomain.domainName)) {
    placeholder('domainName', config.customDomain.domainName);
  }
  if (config.issuerUrl && PLACEHOLDER.test(new URL(config.issuerUrl).hostname))
    placeholder('issuerUrl', config.issuerUrl);
  if (PLACEHOLDER.test(config.email.domain)) placeholder('emailDomain', config.email.domain);
  if (PLACEHOLDER.test(config.email.fromAddress)) placeholder('emailFrom', config.email.fromAddress);
  if (PLACEHOLDER.test(new URL(config.paymentReturnUrl).hostname))
    placeholder('paymentReturnUrl', config.paymentReturnUrl);
  return findings;
}
