import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { OWASP_SCRYPT, type ScryptParameters } from '../../functions/accounts/passwords.ts';
import { readOperatorSettings, withOperatorSettings } from './operator-settings.ts';

/** Settings that differ between deployments of the same app. One record per environment. */
export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /**
   * What happens to the table, secrets and log groups when the stack is deleted or a resource
   * is replaced: RETAIN or DESTROY (SNAPSHOT is not valid for any of them).
   */
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly logRetention: RetentionDays;
  /** Stage-wide API Gateway throttling (steady requests per second and burst): every route's default. */
  readonly throttling: ThrottleLimits;
  /**
   * Stricter limits for some routes (API Gateway route settings), by path prefix: `/auth/`
   * covers every route under it. Each must stay within the stage's limits.
   */
  readonly routeThrottling: readonly { readonly pathPrefix: string; readonly limits: ThrottleLimits }[];
  /**
   * The regional API Gateway quota this environment's account has (requests per second across
   * every API and stage of the account in the region; 10,000 and a 5,000 burst unless raised).
   * The stage limits of every environment sharing the account must fit in it; the infra tests
   * check the sum.
   */
  readonly accountThrottleBudget: ThrottleLimits & { readonly sharedWith: readonly EnvironmentName[] };
  /** Origins allowed by CORS; empty means no CORS configuration. */
  readonly corsOrigins: readonly string[];
  /**
   * A custom domain for the HTTP API (an ACM certificate for it in the stack's region). When
   * set, it is the token issuer and the execute-api endpoint is switched off.
   */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /** Default Lambda memory in MB: also buys CPU, which bounds cold starts. */
  readonly functionMemoryMb: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly observability: ObservabilityConfig;
  readonly alarms: AlarmConfig;
  /** The `aud` of access tokens; the JWT authorizer accepts only this audience. */
  readonly authAudience: string;
  /**
   * The token issuer (`iss`) and discovery base URL. Defaults to the API's execute-api URL;
   * set it to the custom domain when the API has one.
   */
  readonly issuerUrl?: string;
  /** Who charges cards: `simulated` (test mode, no network) or `stripe` (PaymentIntents API). */
  readonly paymentProvider: 'simulated' | 'stripe';
  /** Stripe's API base URL (a stand-in server in tests); Stripe's own when omitted. */
  readonly stripeApiBase?: string;
  /**
   * The app's page a customer returns to after a 3-D Secure challenge (the provider's
   * `return_url`; `?orderId=` is added). Chosen here, never by the client: it is where the
   * provider redirects a browser.
   */
  readonly paymentReturnUrl: string;
  /**
   * Whether accounts that have not proved their email address may place orders: yes locally
   * and in dev (demos and journeys sign up and order at once), no where real money moves.
   */
  readonly unverifiedAccountsMayOrder: boolean;
  /**
   * One-time codes (verification, reset, email change) one network address may ask for in an
   * hour. Kept well above one person's needs, as carrier NAT puts many people behind one
   * address; the per-address limits (5 an hour, 10 a day) are what bound code guessing.
   */
  readonly codeRequestsPerIpHour: number;
  /**
   * Transactional email through SES v2: the domain identity (DKIM-signed) and the From address
   * on it; operator settings `emailDomain` and `emailFrom`. The defaults are placeholders.
   */
  readonly email: { readonly domain: string; readonly fromAddress: string };
  /** Minutes an unpaid order holds its stock before it expires. */
  readonly orderPaymentWindowMinutes: number;
  /**
   * Open WebSocket connections one user may hold (phones, tabs); opening one more closes the
   * oldest (README, "Real time"). Bounds what one account costs: every message to it is one
   * push per connection.
   */
  readonly webSocketConnectionsPerUser: number;
  /**
   * Days between rotations of the token signing key (Secrets Manager rotation schedule). Each
   * rotation promotes the key staged by the previous one, so a key is published for this long
   * before it signs, signs for this long, and is published this long after.
   */
  readonly signingKeyRotationDays: number;
  /**
   * How long a payment attempt's outcome must have been unknown before reconciliation asks the
   * provider: in-flight charges answer within seconds, Stripe's search index within a minute.
   */
  readonly paymentReconcileAfterSeconds: number;
  /**
   * The scrypt cost of new password hashes (`PASSWORD_SCRYPT_PARAMETERS` of the functions that
   * hash). Deployed environments use OWASP's parameters; each hash stores its own, and a
   * sign-in rehashes one made with other parameters, so changing this upgrades users as they
   * sign in.
   */
  readonly passwordHashing: ScryptParameters;
}

export const ENVIRONMENT_NAMES = ['local', 'dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** API Gateway throttling: steady requests per second and the burst above it. */
export interface ThrottleLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Metrics and traces (docs/operations.md; cold-start costs in `npm run bench`). */
export interface ObservabilityConfig {
  /** Business metrics and `ColdStart` as CloudWatch EMF (namespace `Shop/<env>`). */
  readonly metrics: boolean;
  /**
   * X-Ray active tracing on every function: the Lambda service records each invocation
   * (init, duration), with no code in the bundle and no cold-start cost. (HTTP and WebSocket
   * APIs cannot trace; the trace starts at the function.)
   */
  readonly lambdaTracing: boolean;
  /**
   * Which functions bundle the X-Ray recorder (functions/core/xray.ts), so that their handler,
   * DynamoDB, Secrets Manager and HTTPS calls show as subsegments under Lambda's trace: `none`;
   * `provider`, the functions that call the payment provider, whose seconds-long calls are what
   * a trace is wanted for; or `all`. The recorder is a few KB (the Powertools Tracer it replaced
   * bundled the X-Ray SDK, about 120 KB); `npm run bench` prices it: floor:tracer against
   * floor:getitem-ours. It records only where `lambdaTracing` is on.
   */
  readonly tracedCalls: 'none' | 'provider' | 'all';
}

/** Alarm thresholds; every alarm notifies the environment's one SNS topic. */
export interface AlarmConfig {
  /** Subscribed to the alarm topic (confirm the email AWS sends); none when omitted. */
  readonly email?: string;
  /** Per route group: share of 5xx answers over 5 minutes, in percent... */
  readonly serverErrorRatePercent: number;
  /** ...once the group had at least this many requests in those 5 minutes. */
  readonly minRequestsForRate: number;
  /** Per route group: p99 latency as API Gateway measured it, over 5 minutes. */
  readonly p99LatencyMs: number;
  /** Groups that are slower by design (password hashing on `/auth/*`). */
  readonly p99LatencyMsByGroup?: Readonly<Record<string, number>>;
  /** A function's maximum duration over 5 minutes above this share of its timeout. */
  readonly durationShareOfTimeout: number;
  /** Webhook deliveries with a bad signature within 5 minutes (someone probing, or a rolled secret). */
  readonly webhookSignatureRejections: number;
  /** Maximum age of the last record a stream consumer read, in seconds. */
  readonly streamIteratorAgeSeconds: number;
}

/** Alarm thresholds every environment starts from. */
const ALARMS: AlarmConfig = {
  serverErrorRatePercent: 5,
  minRequestsForRate: 20,
  p99LatencyMs: 1000,
  // scrypt at OWASP parameters takes ~100-300 ms per hash on 1 GB, and login may hash twice.
  p99LatencyMsByGroup: { auth: 2500 },
  durationShareOfTimeout: 0.8,
  webhookSignatureRejections: 10,
  streamIteratorAgeSeconds: 60,
};

/** The account quota of a region that has not asked AWS for more. */
const DEFAULT_ACCOUNT_QUOTA: ThrottleLimits = { rateLimit: 10_000, burstLimit: 5_000 };

/**
 * Local (and test) password hashing: 1/8 of OWASP's cost (N=2^14: 16 MiB, tens of ms), so a
 * first sign-in on a busy laptop answers within its timeout. Nothing local protects real
 * passwords; a hash made here is rehashed at OWASP cost when it signs in where that is the policy.
 */
const LOCAL_SCRYPT: ScryptParameters = { ...OWASP_SCRYPT, N: 2 ** 14 };

const environments: Record<EnvironmentName, EnvironmentConfig> = {
  local: {
    name: 'local',
    authAudience: 'shop-api-local',
    unverifiedAccountsMayOrder: true,
    // Every test, journey and load generator calls from 127.0.0.1.
    codeRequestsPerIpHour: 100_000,
    email: { domain: 'shop.local', fromAddress: 'shop@shop.local' },
    paymentProvider: 'simulated',
    paymentReturnUrl: 'http://localhost:5173/checkout/complete',
    orderPaymentWindowMinutes: 30,
    webSocketConnectionsPerUser: 10,
    signingKeyRotationDays: 30,
    paymentReconcileAfterSeconds: 300,
    passwordHashing: LOCAL_SCRYPT,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: false,
    logRetention: RetentionDays.ONE_DAY,
    throttling: { rateLimit: 1000, burstLimit: 2000 },
    routeThrottling: [{ pathPrefix: '/auth/', limits: { rateLimit: 100, burstLimit: 200 } }],
    // Nothing is deployed as local; the budget only keeps the record complete.
    accountThrottleBudget: { ...DEFAULT_ACCOUNT_QUOTA, sharedWith: [] },
    corsOrigins: ['http://localhost:5173', 'http://localhost:3000'],
    functionMemoryMb: 1024,
    logLevel: 'DEBUG',
    // The local runtime prints EMF lines (npm start shows them); there is no X-Ray locally.
    observability: { metrics: true, lambdaTracing: false, tracedCalls: 'none' },
    alarms: ALARMS,
  },
  dev: {
    name: 'dev',
    authAudience: 'shop-api-dev',
    unverifiedAccountsMayOrder: true,
    codeRequestsPerIpHour: 100,
    email: { domain: 'dev.mail.shop.example.com', fromAddress: 'shop@dev.mail.shop.example.com' },
    paymentProvider: 'simulated',
    paymentReturnUrl: 'https://dev.shop.example.com/checkout/complete',
    orderPaymentWindowMinutes: 30,
    webSocketConnectionsPerUser: 10,
    signingKeyRotationDays: 30,
    paymentReconcileAfterSeconds: 300,
    passwordHashing: OWASP_SCRYPT,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: false,
    logRetention: RetentionDays.ONE_WEEK,
    throttling: { rateLimit: 50, burstLimit: 100 },
    routeThrottling: [{ pathPrefix: '/auth/', limits: { rateLimit: 5, burstLimit: 10 } }],
    // dev and staging share the pre-production account.
    accountThrottleBudget: { ...DEFAULT_ACCOUNT_QUOTA, sharedWith: ['staging'] },
    corsOrigins: ['http://localhost:5173', 'https://dev.shop.example.com'],
    functionMemoryMb: 1024,
    logLevel: 'DEBUG',
    observability: { metrics: true, lambdaTracing: true, tracedCalls: 'provider' },
    // No email: dev alarms are for whoever looks at the console.
    alarms: { ...ALARMS, serverErrorRatePercent: 20 },
  },
  staging: {
    name: 'staging',
    authAudience: 'shop-api-staging',
    unverifiedAccountsMayOrder: false,
    codeRequestsPerIpHour: 100,
    email: { domain: 'staging.mail.shop.example.com', fromAddress: 'shop@staging.mail.shop.example.com' },
    paymentProvider: 'stripe',
    paymentReturnUrl: 'https://staging.shop.example.com/checkout/complete',
    orderPaymentWindowMinutes: 30,
    webSocketConnectionsPerUser: 10,
    signingKeyRotationDays: 30,
    paymentReconcileAfterSeconds: 300,
    passwordHashing: OWASP_SCRYPT,
    // Not SNAPSHOT: CloudFormation snapshots only volumes and databases such as RDS; on a
    // DynamoDB table, a secret or a log group it is an invalid template. PITR covers staging.
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_MONTH,
    throttling: { rateLimit: 200, burstLimit: 400 },
    routeThrottling: [{ pathPrefix: '/auth/', limits: { rateLimit: 20, burstLimit: 40 } }],
    accountThrottleBudget: { ...DEFAULT_ACCOUNT_QUOTA, sharedWith: ['dev'] },
    corsOrigins: ['https://staging.shop.example.com'],
    functionMemoryMb: 1024,
    logLevel: 'INFO',
    observability: { metrics: true, lambdaTracing: true, tracedCalls: 'provider' },
    alarms: { ...ALARMS, email: 'shop-staging-alarms@example.com' },
  },
  prod: {
    name: 'prod',
    authAudience: 'shop-api-prod',
    unverifiedAccountsMayOrder: false,
    codeRequestsPerIpHour: 100,
    email: { domain: 'mail.shop.example.com', fromAddress: 'shop@mail.shop.example.com' },
    paymentProvider: 'stripe',
    paymentReturnUrl: 'https://shop.example.com/checkout/complete',
    orderPaymentWindowMinutes: 30,
    webSocketConnectionsPerUser: 10,
    signingKeyRotationDays: 30,
    paymentReconcileAfterSeconds: 300,
    passwordHashing: OWASP_SCRYPT,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.SIX_MONTHS,
    throttling: { rateLimit: 1000, burstLimit: 2000 },
    // Sign-in, registration and refresh of every client together. Per-email brute force is
    // stopped by the login throttle in the app; this caps what one flood can cost (scrypt).
    routeThrottling: [{ pathPrefix: '/auth/', limits: { rateLimit: 50, burstLimit: 100 } }],
    // prod has its account to itself.
    accountThrottleBudget: { ...DEFAULT_ACCOUNT_QUOTA, sharedWith: [] },
    corsOrigins: ['https://shop.example.com', 'https://www.shop.example.com'],
    functionMemoryMb: 1024,
    logLevel: 'INFO',
    observability: { metrics: true, lambdaTracing: true, tracedCalls: 'provider' },
    alarms: { ...ALARMS, serverErrorRatePercent: 1, email: 'shop-oncall@example.com' },
  },
};

/** The CloudWatch namespace of an environment's metrics (EMF: business metrics and ColdStart). */
export const metricsNamespace = (config: Pick<EnvironmentConfig, 'name'>): string => `Shop/${config.name}`;

function isEnvironmentName(value: string): value is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}

/** Returns the config of a named environment; fails with the list of valid names otherwise. */
export function environmentConfig(name: unknown): EnvironmentConfig {
  if (typeof name !== 'string' || name === '') {
    throw new Error(
      `No environment given. Pass one with -c env=<name>; valid names: ${ENVIRONMENT_NAMES.join(', ')}.`,
    );
  }
  if (!isEnvironmentName(name)) {
    throw new Error(`Unknown environment "${name}". Valid names: ${ENVIRONMENT_NAMES.join(', ')}.`);
  }
  return environments[name];
}

/**
 * The config an app synthesizes: the environment named by the `env` context, with the
 * operator's settings from the context applied (lib/config/operator-settings.ts). Bad input
 * fails with a message naming the key.
 */
export function environmentConfigFromContext(context: (key: string) => unknown): EnvironmentConfig {
  const config = environmentConfig(context('env'));
  return withOperatorSettings(config, readOperatorSettings(config.name, context));
}
