import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { newSigningKeySetValue } from '../../functions/accounts/signing-keys.ts';
import { PROJECT_ROOT } from '../../lib/constructs/endpoint-function.ts';
import { startDynamoDbLocal } from '../../lib/local/dynamodb/launcher.ts';
import { generateSecretValue, startLocalSecretsManager } from '../../lib/local/secretsmanager/index.ts';
import { synthesisHash, synthesize } from '../../lib/synth.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local, started once for the whole run. */
    dynamodbEndpoint: string;
    /** The `local` environment synthesized once for the whole run (or reused, see `cachedAssembly`). */
    assemblyDir: string;
    /** A Secrets Manager stand-in holding the test cursor key. */
    secretsEndpoint: string;
    cursorSecretArn: string;
    /** The RSA key set that signs test access tokens. */
    signingKeySecretArn: string;
  }
}

type Provided = {
  dynamodbEndpoint: string;
  assemblyDir: string;
  secretsEndpoint: string;
  cursorSecretArn: string;
  signingKeySecretArn: string;
};

interface SharedServices {
  readonly provided: Provided;
  /** Projects of this run that use the services; the last to tear down stops them. */
  users: number;
  stop(): Promise<void>;
}

/** Syntheses of the `local` environment kept between runs, one folder per hash of their sources. */
const CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'shop-test-assembly');
/** How many syntheses of other sources the cache keeps (a run still reading one keeps it). */
const CACHE_KEEP = 3;
const STAMP = '.sources.sha256';

/**
 * The `local` environment synthesized from the tree as it is: reused when an earlier run
 * synthesized the same sources and context (`synthesisHash`), else synthesized into a staging
 * folder and renamed into place, so a run never reads a half-written synthesis and two runs at
 * once never write the same folder.
 */
function cachedAssembly(): { dir: string; reused: boolean } {
  const hit = path.join(CACHE_DIR, synthesisHash('local'));
  if (existsSync(path.join(hit, STAMP))) return { dir: hit, reused: true };
  mkdirSync(CACHE_DIR, { recursive: true });
  const staging = mkdtempSync(path.join(CACHE_DIR, 'staging-'));
  synthesize('local', staging, { reuse: true });
  // The stamp is the hash of the sources as synthesized (a file saved meanwhile changes it).
  const dir = path.join(CACHE_DIR, readFileSync(path.join(staging, STAMP), 'utf8'));
  try {
    renameSync(staging, dir);
  } catch {
    // Another run put the same synthesis there first.
    rmSync(staging, { recursive: true, force: true });
  }
  pruneCache(dir);
  return { dir, reused: false };
}

function pruneCache(keep: string): void {
  const others = readdirSync(CACHE_DIR)
    .filter((name) => !name.startsWith('staging-'))
    .map((name) => path.join(CACHE_DIR, name))
    .filter((dir) => dir !== keep)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const dir of others.slice(CACHE_KEEP - 1)) rmSync(dir, { recursive: true, force: true });
}

/** DynamoDB Local, the Secrets Manager stand-in and the synthesized app: what every suite shares. */
async function startServices(): Promise<SharedServices> {
  const started = Date.now();
  // Java boots while esbuild bundles; if anything fails, nothing is left running.
  const starting = Promise.all([
    startDynamoDbLocal({ port: process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : undefined }),
    startLocalSecretsManager(),
  ]);
  let assembly: { dir: string; reused: boolean };
  try {
    assembly = cachedAssembly();
  } catch (error) {
    const [dynamodb, secrets] = await starting;
    await Promise.all([dynamodb.stop(), secrets.stop()]);
    throw error;
  }
  const [dynamodb, secrets] = await starting;
  const cursorSecretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test-cursor';
  secrets.put({ arn: cursorSecretArn, name: 'test-cursor', value: generateSecretValue() });
  const signingKeySecretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test-signing-keys';
  secrets.put({ arn: signingKeySecretArn, name: 'test-signing-keys', value: newSigningKeySetValue() });
  console.log(
    `[setup] DynamoDB Local at ${dynamodb.endpoint}, local stacks ${
      assembly.reused ? 'reused from an earlier run of the same sources' : 'synthesized'
    } in ${Date.now() - started} ms`,
  );
  return {
    provided: {
      dynamodbEndpoint: dynamodb.endpoint,
      assemblyDir: assembly.dir,
      secretsEndpoint: secrets.endpoint,
      cursorSecretArn,
      signingKeySecretArn,
    },
    users: 0,
    stop: async () => {
      await Promise.all([dynamodb.stop(), secrets.stop()]);
    },
  };
}

const SERVICES = Symbol.for('shop-test-services');
const holder = globalThis as { [SERVICES]?: Promise<SharedServices> };

/**
 * The global setup of the projects that need a table or the synthesized app (integration, e2e,
 * infra; unit has none). Vitest loads it once per project: the projects of one run share one
 * set of services, held on `globalThis`, started by the first and stopped by the last.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  holder[SERVICES] ??= startServices();
  let services: SharedServices;
  try {
    services = await holder[SERVICES];
  } catch (error) {
    delete holder[SERVICES];
    throw error;
  }
  services.users++;
  for (const [key, value] of Object.entries(services.provided)) project.provide(key as keyof Provided, value);
  return async () => {
    services.users--;
    if (services.users > 0) return;
    delete holder[SERVICES];
    await services.stop();
  };
}
