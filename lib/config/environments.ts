import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
  /** Stage-wide API Gateway throttling (steady requests per second and burst). */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins allowed by CORS; empty means no CORS configuration. */
  readonly corsOrigins: readonly string[];
  /** Default Lambda memory in MB: also buys CPU, which bounds cold starts. */
  readonly functionMemoryMb: number;
  /** Alarm when this many 5xx answers happen within five minutes. */
  readonly alarm5xxThreshold: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
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
  /** Minutes an unpaid order holds its stock before it expires. */
  readonly orderPaymentWindowMinutes: number;
}

export const ENVIRONMENT_NAMES = ['local', 'dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

const environments: Record<EnvironmentName, EnvironmentConfig> = {
  local: {
    name: 'local',
    authAudience: 'shop-api-local',
    paymentProvider: 'simulated',
    orderPaymentWindowMinutes: 30,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: false,
    logRetention: RetentionDays.ONE_DAY,
    throttling: { rateLimit: 1000, burstLimit: 2000 },
    corsOrigins: ['http://localhost:5173', 'http://localhost:3000'],
    functionMemoryMb: 1024,
    alarm5xxThreshold: 1000,
    logLevel: 'DEBUG',
  },
  dev: {
    name: 'dev',
    authAudience: 'shop-api-dev',
    paymentProvider: 'simulated',
    orderPaymentWindowMinutes: 30,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    pointInTimeRecovery: false,
    logRetention: RetentionDays.ONE_WEEK,
    throttling: { rateLimit: 50, burstLimit: 100 },
    corsOrigins: ['http://localhost:5173', 'https://dev.shop.example.com'],
    functionMemoryMb: 1024,
    alarm5xxThreshold: 20,
    logLevel: 'DEBUG',
  },
  staging: {
    name: 'staging',
    authAudience: 'shop-api-staging',
    paymentProvider: 'stripe',
    orderPaymentWindowMinutes: 30,
    // Not SNAPSHOT: CloudFormation snapshots only volumes and databases such as RDS; on a
    // DynamoDB table, a secret or a log group it is an invalid template. PITR covers staging.
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: false,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.ONE_MONTH,
    throttling: { rateLimit: 200, burstLimit: 400 },
    corsOrigins: ['https://staging.shop.example.com'],
    functionMemoryMb: 1024,
    alarm5xxThreshold: 10,
    logLevel: 'INFO',
  },
  prod: {
    name: 'prod',
    authAudience: 'shop-api-prod',
    paymentProvider: 'stripe',
    orderPaymentWindowMinutes: 30,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    pointInTimeRecovery: true,
    logRetention: RetentionDays.SIX_MONTHS,
    throttling: { rateLimit: 1000, burstLimit: 2000 },
    corsOrigins: ['https://shop.example.com', 'https://www.shop.example.com'],
    functionMemoryMb: 1024,
    alarm5xxThreshold: 5,
    logLevel: 'INFO',
  },
};

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
