import { App, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addShopStacks, httpApiStacks } from '../../lib/app.ts';
import { environmentConfig } from '../../lib/config/environments.ts';

/*
 * cdk-nag v3 runs as a CDK policy-validation plugin: registered with
 * `Validations.of(app).addPlugins(...)`, it checks the app during `app.synth()`, which throws
 * on any unacknowledged finding. Acknowledgements are `Validations.of(construct).acknowledge()`
 * calls in lib/stacks/nag-suppressions.ts. The per-stack tests below call the same packs
 * directly so that a failure lists every finding, split by stack and severity.
 */

const app = new App();
const stacks = addShopStacks(app, environmentConfig('prod'));
const packs: readonly NagPack[] = [
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
];
Validations.of(app).addPlugins(...packs);

let synthesisError: unknown;
beforeAll(() => {
  try {
    app.synth();
  } catch (error) {
    synthesisError = error;
  }
});

/** Unacknowledged findings of every pack in one stack, at one severity, one line each. */
function findings(stack: Stack, severity: 'error' | 'warning', checks: readonly NagPack[] = packs): string[] {
  return checks.flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.filter((violation) => (violation.severity ?? 'error') === severity)
      .flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} at ${resource.constructPath ?? '?'}: ${violation.description}`,
        ),
      ),
  );
}

/** Every acknowledgement recorded in a construct tree, with where it was made. */
function acknowledgements(root: IConstruct): { id: string; path: string; reason: unknown }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          id,
          path: construct.node.path,
          reason,
        })),
      ),
  );
}

describe('cdk-nag (AwsSolutions and Serverless packs) on the prod stacks', () => {
  const everyStack: Stack[] = [
    stacks.data,
    stacks.media,
    ...httpApiStacks(stacks),
    stacks.events,
    stacks.alarms,
  ];
  const cases = everyStack.flatMap((stack) =>
    (['error', 'warning'] as const).map((severity) => ({ stack, severity })),
  );

  it('checks every stack of the app', () => {
    expect(everyStack.map((stack) => stack.stackName).sort()).toEqual(
      app.node.children
        .filter((child) => child instanceof Stack)
        .map((stack) => stack.stackName)
        .sort(),
    );
  });

  it('lets the app synthesize with both packs registered', () => {
    expect(synthesisError).toBeUndefined();
  });

  it.each(cases.map((c) => [c.stack.stackName, c.severity, c.stack] as const))(
    'finds no unacknowledged finding in %s at severity %s',
    (_name, severity, stack) => {
      expect(findings(stack, severity)).toEqual([]);
    },
  );

  it('acknowledges only with a written reason of at least a sentence', () => {
    const all = acknowledgements(app);
    expect(all.length).toBeGreaterThan(0);
    const unexplained = all.filter(
      ({ reason }) => typeof reason !== 'string' || reason.trim().length < 60 || !reason.includes(' '),
    );
    expect(unexplained).toEqual([]);
  });

  it('acknowledges on the construct that owns each finding, never wholesale on a stack or the app', () => {
    const all = acknowledgements(app);
    const wholesale = all.filter(
      ({ path }) => path === '' || everyStack.some((stack) => path === stack.node.path),
    );
    expect(wholesale).toEqual([]);
  });
});

describe('the cdk-nag harness', () => {
  // A stack built to break rules, so a silently inert pack cannot make the checks above pass.
  const canary = () => {
    const canaryApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(canaryApp, 'NagCanary');
    new Topic(stack, 'PlainTopic');
    const secret = new Secret(stack, 'UnrotatedSecret');
    return { stack, secret };
  };

  it('reports findings on a stack that breaks rules', () => {
    const { stack } = canary();
    const errors = findings(stack, 'error');
    expect(errors.some((line) => line.startsWith('AwsSolutions-SNS3 '))).toBe(true);
    expect(errors.some((line) => line.startsWith('AwsSolutions-SMG4 '))).toBe(true);
  });

  it('honours an acknowledgement on the offending construct, and only for that rule', () => {
    const { stack, secret } = canary();
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Canary: rotation is out of scope.',
    });
    const errors = findings(stack, 'error');
    expect(errors.some((line) => line.startsWith('AwsSolutions-SMG4 '))).toBe(false);
    expect(errors.some((line) => line.startsWith('AwsSolutions-SNS3 '))).toBe(true);
  });
});
