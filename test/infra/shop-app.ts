import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addShopStacks, httpApiFunctions, httpApiStacks, type ShopStacks } from '../../lib/app.ts';
import {
  type EnvironmentConfig,
  type EnvironmentName,
  environmentConfig,
} from '../../lib/config/environments.ts';

/** One environment's app, synthesized once per test file (each synthesis bundles every function, in one esbuild build). */
export interface SynthesizedShop {
  readonly config: EnvironmentConfig;
  readonly app: App;
  readonly stacks: ShopStacks;
  readonly assembly: ReturnType<App['synth']>;
  readonly data: Template;
  /** The base API stack: the HTTP API, its stage, authorizer, `$default` and the `stack: 'api'` routes. */
  readonly api: Template;
  /**
   * The HTTP API's stacks (the base and every route stack) as one template, for checks of every
   * route, integration and function wherever it lives (logical ids are unique across them).
   */
  readonly http: Template;
  readonly events: Template;
  readonly alarms: Template;
}

const cache = new Map<EnvironmentName, SynthesizedShop>();

/** Builds the app the way bin/app.ts does (`new App()` + addShopStacks) and synthesizes it. */
export function synthesizeShop(name: EnvironmentName): SynthesizedShop {
  const cached = cache.get(name);
  if (cached) return cached;
  const config = environmentConfig(name);
  const app = new App();
  const stacks = addShopStacks(app, config);
  const assembly = app.synth();
  const shop: SynthesizedShop = {
    config,
    app,
    stacks,
    assembly,
    data: Template.fromStack(stacks.data),
    api: Template.fromStack(stacks.api),
    http: mergedTemplate(httpApiStacks(stacks).map((stack) => Template.fromStack(stack))),
    events: Template.fromStack(stacks.events),
    alarms: Template.fromStack(stacks.alarms),
  };
  cache.set(name, shop);
  return shop;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, CfnResourceJson> {
  return template.findResources(type) as Record<string, CfnResourceJson>;
}

/** The only resource of a type; fails when there are none or several. */
export function onlyResource(template: Template, type: string): [string, CfnResourceJson] {
  const entries = Object.entries(resourcesOfType(template, type));
  if (entries.length !== 1) throw new Error(`Expected exactly one ${type}, found ${entries.length}.`);
  return entries[0] as [string, CfnResourceJson];
}

/** Templates' resources and outputs in one template; fails on a logical id that two of them use. */
function mergedTemplate(templates: readonly Template[]): Template {
  const merged: { Resources: Record<string, unknown>; Outputs: Record<string, unknown> } = {
    Resources: {},
    Outputs: {},
  };
  for (const template of templates) {
    const json = template.toJSON() as {
      Resources?: Record<string, unknown>;
      Outputs?: Record<string, unknown>;
    };
    for (const part of ['Resources', 'Outputs'] as const) {
      for (const [id, value] of Object.entries(json[part] ?? {})) {
        if (id in merged[part]) throw new Error(`Two HTTP API stacks define ${part} ${id}.`);
        merged[part][id] = value;
      }
    }
  }
  return Template.fromJSON(merged);
}

/** The logical id of the Lambda function an HTTP API stack built, by function id (in `shop.http`). */
export function functionLogicalId(shop: SynthesizedShop, id: string): string {
  const endpoint = httpApiFunctions(shop.stacks).get(id);
  if (!endpoint) throw new Error(`No HTTP API stack built a function ${id}.`);
  return Stack.of(endpoint).getLogicalId(endpoint.function.node.defaultChild as CfnResource);
}

/** Reads `{ "Fn::GetAtt": [id, attr] }` and `{ "Ref": id }`; undefined for anything else. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('Ref' in value && typeof value.Ref === 'string') return value.Ref;
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
    const [id] = value['Fn::GetAtt'];
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}

/**
 * The logical id of a resource another stack exports, from `{ "Fn::ImportValue": "<export>" }`:
 * the exporting output's `Ref`/`Fn::GetAtt`, in whichever stack of the shop exports it.
 */
export function importedLogicalId(shop: SynthesizedShop, value: unknown): string | undefined {
  const name = (value as { 'Fn::ImportValue'?: unknown } | null)?.['Fn::ImportValue'];
  if (typeof name !== 'string') return undefined;
  for (const template of [shop.data, shop.http, shop.events, shop.alarms]) {
    const outputs = template.toJSON().Outputs as
      | Record<string, { Value: unknown; Export?: { Name?: string } }>
      | undefined;
    const found = Object.values(outputs ?? {}).find((output) => output.Export?.Name === name);
    if (found) return referencedLogicalId(found.Value);
  }
  return undefined;
}

/** The HTTP API of an API stack's template (which also holds the WebSocket API). */
export function httpApiOf(template: Template): [string, CfnResourceJson] {
  const apis = Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Api')).filter(
    ([, api]) => api.Properties?.ProtocolType === 'HTTP',
  );
  if (apis.length !== 1) throw new Error(`Expected one HTTP API, found ${apis.length}.`);
  return apis[0] as [string, CfnResourceJson];
}

/** The WebSocket API (the API stack's `AWS::ApiGatewayV2::Api` of protocol WEBSOCKET). */
export function webSocketApiOf(shop: SynthesizedShop): [string, CfnResourceJson] {
  const apis = Object.entries(resourcesOfType(shop.api, 'AWS::ApiGatewayV2::Api')).filter(
    ([, api]) => api.Properties?.ProtocolType === 'WEBSOCKET',
  );
  if (apis.length !== 1)
    throw new Error(`Expected one WebSocket API in the API stack, found ${apis.length}.`);
  return apis[0] as [string, CfnResourceJson];
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every IAM statement that applies to a function's role (inline policies of the role and attached policies). */
export function statementsOfFunction(template: Template, logicalId: string): PolicyStatementJson[] {
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[logicalId];
  const roleId = referencedLogicalId(fn?.Properties?.Role);
  if (!roleId) throw new Error(`${logicalId} has no role of its own in this template.`);
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
  if (role?.Properties?.ManagedPolicyArns) throw new Error(`${roleId} has managed policies attached.`);
  const inline = (role?.Properties?.Policies ?? []) as {
    PolicyDocument: { Statement: PolicyStatementJson[] };
  }[];
  const attached = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
    ((policy.Properties?.Roles ?? []) as unknown[]).some((ref) => referencedLogicalId(ref) === roleId),
  );
  return [
    ...inline,
    ...attached.map(
      (policy) => policy.Properties as { PolicyDocument: { Statement: PolicyStatementJson[] } },
    ),
  ].flatMap((policy) => policy.PolicyDocument.Statement);
}

/** The actions of statements, flattened. */
export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return statements.flatMap((statement) =>
    Array.isArray(statement.Action) ? statement.Action : [statement.Action],
  );
}

/** A resource with a `*` in it that a function's role grants, with the statement's actions. */
export interface WildcardGrant {
  readonly functionId: string;
  readonly resource: unknown;
  /** The resource as JSON, as a test matches and reports it. */
  readonly text: string;
  readonly actions: string[];
}

/** Every resource with a wildcard granted to a function of the template, statement by statement. */
export function wildcardGrants(template: Template): WildcardGrant[] {
  return Object.keys(resourcesOfType(template, 'AWS::Lambda::Function')).flatMap((functionId) =>
    statementsOfFunction(template, functionId).flatMap((statement) => {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      const actions = actionsOf([statement]);
      return resources
        .map((resource) => ({ functionId, resource, text: JSON.stringify(resource), actions }))
        .filter((grant) => grant.text.includes('*'));
    }),
  );
}

/** A function's environment variables. */
export function environmentOf(template: Template, logicalId: string): Record<string, unknown> {
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[logicalId];
  const environment = fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly description: string;
      readonly severity?: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

/**
 * The findings of the validation plugins that ran during synthesis (by default CDK's own
 * CloudFormation template validation), one line each. It reports templates CloudFormation
 * would reject, as warnings that synthesis does not fail on.
 */
export function templateValidationFindings(assembly: ReturnType<App['synth']>): string[] {
  const file = path.join(assembly.directory, 'validation-report.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) =>
          `${plugin.pluginName} ${violation.ruleName} (${violation.severity ?? 'error'}) at ${construct.constructPath}: ${violation.description}`,
      ),
    ),
  );
}
