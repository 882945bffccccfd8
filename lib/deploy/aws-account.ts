import {
  CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsAccountProbe } from './preflight.ts';

/** A stack that does not exist answers ValidationError "Stack with id X does not exist". */
const missingStack = (error: unknown) =>
  error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message);

/**
 * The preflight's AWS calls through the SDK's standard chain (AWS_PROFILE, AWS_* variables, SSO,
 * instance roles) and region (AWS_REGION, the profile's): read-only, and no secret value leaves
 * this process (the preflight only tests its shape).
 */
export function awsAccountProbe(): AwsAccountProbe {
  const cloudFormation = new CloudFormationClient({ maxAttempts: 2 });
  let secrets: SecretsManagerClient | undefined;
  return {
    async whereami() {
      try {
        const region = await cloudFormation.config.region();
        await cloudFormation.config.credentials();
        return { found: true, region };
      } catch (error) {
        return {
          found: false,
          reason: error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error),
        };
      }
    },
    async bootstrap(toolkitStackName) {
      try {
        const { Stacks = [] } = await cloudFormation.send(
          new DescribeStacksCommand({ StackName: toolkitStackName }),
        );
        const stack = Stacks[0];
        const version = Number(stack?.Outputs?.find((o) => o.OutputKey === 'BootstrapVersion')?.OutputValue);
        if (!stack || !Number.isFinite(version)) return undefined;
        return { version, account: stack.StackId?.split(':')[4] };
      } catch (error) {
        if (missingStack(error)) return undefined;
        throw error;
      }
    },
    async stackResources(stackName) {
      try {
        const resources = new Map<string, string>();
        for await (const page of paginateListStackResources(
          { client: cloudFormation },
          { StackName: stackName },
        )) {
          for (const resource of page.StackResourceSummaries ?? []) {
            if (resource.LogicalResourceId && resource.PhysicalResourceId)
              resources.set(resource.LogicalResourceId, resource.PhysicalResourceId);
          }
        }
        return resources;
      } catch (error) {
        if (missingStack(error)) return undefined;
        throw error;
      }
    },
    async secretValue(secretId) {
      secrets ??= new SecretsManagerClient({ maxAttempts: 2 });
      try {
        return (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
      } catch (error) {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
  };
}
