/**
 * CloudFormation, as far as the local runtime needs it: the synthesized cloud assembly read the
 * way `cdk deploy` and SAM read it (manifest, then each stack's template), and intrinsics
 * (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`)
 * resolved against local stand-ins of the deployed resources. Nothing is deployed: there are no
 * stack operations, conditions, parameters or rollbacks; custom resources are emulated by type
 * by whoever starts the runtime (custom-resources.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../account.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** A synthesized cloud assembly (`cdk.out`): its directory and every stack's template. */
export interface CloudAssembly {
  readonly dir: string;
  readonly stacks: readonly StackTemplate[];
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
}

/** Reads `manifest.json` and every CloudFormation stack template it lists, as `cdk deploy` and SAM do. */
export function readCloudAssembly(dir: string): CloudAssembly {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks: StackTemplate[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(
      readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'),
    ) as CfnTemplate;
    stacks.push({ stackName: artifact.properties.stackName ?? id, template });
  }
  if (stacks.length === 0) throw new Error(`No CloudFormation stacks found in ${dir}/manifest.json.`);
  return { dir, stacks };
}

/** Resources of one type across all stacks, with their stack. */
export function resourcesOfType(
  assembly: CloudAssembly,
  type: string,
): { stackName: string; logicalId: string; resource: CfnResource }[] {
  const found = [];
  for (const { stackName, template } of assembly.stacks) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === type) found.push({ stackName, logicalId, resource });
    }
  }
  return found;
}

/** What a resource is locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Where the local stand-ins of deployed services listen; intrinsics resolve to these. */
export interface LocalEndpoints {
  /** Prefix of local table names, so several backends can share one DynamoDB Local. */
  readonly tableNamePrefix: string;
  /** The local HTTP API (`http://localhost:<port>`). */
  readonly apiEndpoint: string;
  /** The local WebSocket API (`ws://localhost:<port>`), without the stage. */
  readonly webSocketEndpoint: string;
  /** The local SQS endpoint; queue URLs are `<endpoint>/<account>/<name>`. */
  readonly sqsEndpoint: string;
  /** The local S3 endpoint (`http://127.0.0.1:<port>`); objects are `<endpoint>/<bucket>/<key>`. */
  readonly s3Endpoint: string;
}

/** A bucket's local name: the template's `BucketName`, else lower-case `<stack>-<logical id>` (S3 allows 63 characters). */
export function localBucketName(stackName: string, logicalId: string, resource: CfnResource): string {
  const given = resource.Properties?.BucketName;
  return typeof given === 'string' ? given : `${stackName}-${logicalId}`.toLowerCase().slice(0, 63);
}

/**
 * Local stand-ins for deployed resources, so intrinsics resolve to things that exist here.
 * SAM resolves `Ref` of a table to an empty string; we resolve it to the local table.
 */
export function localPhysicalResource(
  stackName: string,
  logicalId: string,
  resource: CfnResource,
  endpoints: LocalEndpoints,
  template: CfnTemplate = { Resources: {} },
): PhysicalResource {
  const { tableNamePrefix, apiEndpoint } = endpoints;
  const arn = (service: string, rest: string) =>
    `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${rest}`;
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table': {
      const name = (resource.Properties?.TableName as string | undefined) ?? `${tableNamePrefix}${logicalId}`;
      const tableArn = arn('dynamodb', `table/${name}`);
      return { ref: name, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/local` } };
    }
    case 'AWS::SecretsManager::Secret': {
      const secretArn = arn('secretsmanager', `secret:${stackName}-${logicalId}-local`);
      return { ref: secretArn, attributes: { Id: secretArn } };
    }
    case 'AWS::Lambda::Function': {
      const name = `${stackName}-${logicalId}`;
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::ApiGatewayV2::Api':
      // A WebSocket API's URL is the local WebSocket server's (functions derive the
      // @connections callback URL from it); the HTTP API's URL is the local HTTP server's:
      // tokens are issued for, and checked against, it.
      return resource.Properties?.ProtocolType === 'WEBSOCKET'
        ? { ref: logicalId, attributes: { ApiEndpoint: endpoints.webSocketEndpoint, ApiId: logicalId } }
        : { ref: logicalId, attributes: { ApiEndpoint: apiEndpoint, ApiId: logicalId } };
    case 'AWS::ApiGatewayV2::Stage':
      return { ref: String(resource.Properties?.StageName ?? logicalId), attributes: {} };
    case 'AWS::SQS::Queue': {
      const name = (resource.Properties?.QueueName as string | undefined) ?? `${stackName}-${logicalId}`;
      const url = `${endpoints.sqsEndpoint}/${LOCAL_ACCOUNT}/${name}`;
      return { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
    }
    case 'AWS::S3::Bucket': {
      const name = localBucketName(stackName, logicalId, resource);
      // Path-style addresses of the local S3 stand in for the bucket's domain names.
      const host = `${new URL(endpoints.s3Endpoint).host}/${name}`;
      return {
        ref: name,
        attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: host, RegionalDomainName: host },
      };
    }
    case 'AWS::CloudFront::Distribution': {
      // Locally the distribution is its first S3 origin, read through the local S3 (which
      // serves that bucket without a signature): its domain name is that bucket's address.
      const config = resource.Properties?.DistributionConfig as
        | { Origins?: { DomainName?: unknown }[] }
        | undefined;
      const getAtt = (config?.Origins?.[0]?.DomainName as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
        'Fn::GetAtt'
      ];
      const origin = getAtt ? template.Resources[getAtt[0]] : undefined;
      const domainName =
        getAtt && origin
          ? `${new URL(endpoints.s3Endpoint).host}/${localBucketName(stackName, getAtt[0], origin)}`
          : `${logicalId.toLowerCase()}.cloudfront.local`;
      return { ref: logicalId, attributes: { DomainName: domainName, Id: logicalId } };
    }
    case 'AWS::IAM::Role':
      return { ref: logicalId, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}` } };
    case 'AWS::Logs::LogGroup':
      return {
        ref: `/local/${stackName}/${logicalId}`,
        attributes: { Arn: arn('logs', `log-group:${logicalId}`) },
      };
    default:
      return { ref: logicalId, attributes: { Arn: arn('local', logicalId) } };
  }
}

/**
 * Resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::ImportValue, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split) against local physical resources, including cross-stack exports.
 */
export class TemplateResolver {
  private readonly physical = new Map<string, PhysicalResource>();
  private readonly exports = new Map<string, { stackName: string; value: unknown }>();

  readonly assembly: CloudAssembly;
  /** Where the local stand-ins listen (a new synthesis is resolved against the same ones). */
  readonly endpoints: LocalEndpoints;

  constructor(assembly: CloudAssembly, options: Partial<LocalEndpoints> = {}) {
    this.assembly = assembly;
    const endpoints: LocalEndpoints = {
      tableNamePrefix: options.tableNamePrefix ?? '',
      apiEndpoint: options.apiEndpoint ?? 'http://localhost:3000',
      webSocketEndpoint: options.webSocketEndpoint ?? 'ws://localhost:3001',
      sqsEndpoint: options.sqsEndpoint ?? 'http://localhost:9324',
      s3Endpoint: options.s3Endpoint ?? 'http://127.0.0.1:4569',
    };
    this.endpoints = endpoints;
    for (const { stackName, template } of assembly.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        this.physical.set(
          `${stackName}/${logicalId}`,
          localPhysicalResource(stackName, logicalId, resource, endpoints, template),
        );
      }
      for (const output of Object.values(template.Outputs ?? {})) {
        if (typeof output.Export?.Name === 'string') {
          this.exports.set(output.Export.Name, { stackName, value: output.Value });
        }
      }
    }
  }

  /** The local physical resource of a logical id in a stack. */
  resource(stackName: string, logicalId: string): PhysicalResource {
    const found = this.physical.get(`${stackName}/${logicalId}`);
    if (!found) throw new Error(`Template reference to unknown resource ${logicalId} in ${stackName}.`);
    return found;
  }

  resolve(value: unknown, stackName: string): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item, stackName));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key && (key === 'Ref' || key.startsWith('Fn::'))) {
      return this.intrinsic(key, arg, stackName);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, stackName)]));
  }

  resolveString(value: unknown, stackName: string): string {
    const resolved = this.resolve(value, stackName);
    if (typeof resolved !== 'string') throw new Error(`Expected a string, got ${JSON.stringify(resolved)}.`);
    return resolved;
  }

  private pseudo(name: string, stackName: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
    };
    return values[name];
  }

  private intrinsic(name: string, arg: unknown, stackName: string): unknown {
    switch (name) {
      case 'Ref': {
        const ref = String(arg);
        return this.pseudo(ref, stackName) ?? this.resource(stackName, ref).ref;
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        const value = this.resource(stackName, String(logicalId)).attributes[String(attribute)];
        if (value === undefined)
          throw new Error(`Cannot resolve Fn::GetAtt ${logicalId}.${attribute} locally.`);
        return value;
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolveString(arg, stackName);
        const found = this.exports.get(exportName);
        if (!found) throw new Error(`No stack exports ${exportName}.`);
        return this.resolve(found.value, found.stackName);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((part) => this.resolveString(part, stackName)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const resolved = this.resolve(list, stackName) as unknown[];
        return resolved[Number(this.resolve(index, stackName))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return this.resolveString(source, stackName).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
          if (expression in variables) return this.resolveString(variables[expression], stackName);
          const [logicalId, attribute] = expression.split('.');
          if (attribute) return this.resolveString({ 'Fn::GetAtt': [logicalId, attribute] }, stackName);
          return this.resolveString({ Ref: logicalId }, stackName);
        });
      }
      default:
        throw new Error(`The local runtime cannot resolve ${name}.`);
    }
  }
}
