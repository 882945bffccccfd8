// `npm run sam:env`: writes .local/sam-env.json, the --env-vars file for the real AWS SAM CLI.
// SAM leaves Fn::ImportValue/Ref of the table and secrets empty; this fills them with the
// values of the running `npm start` (read from the .local/runtime.json it writes), reachable
// from SAM's Docker containers through host.docker.internal.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';

const { values } = readCommandLine({
  command: 'npm run sam:env',
  summary:
    "Writes .local/sam-env.json, the --env-vars file for the AWS SAM CLI, from the running npm start's ports.",
  options: {
    host: {
      type: 'string',
      placeholder: '<name>',
      default: process.env.SAM_HOST ?? 'host.docker.internal',
      describe: "how SAM's containers reach this machine (SAM_HOST; 127.0.0.1 with --docker-network host)",
    },
  },
  notes: ['Needs a running `npm start` (in another terminal): it reads the ports from .local/runtime.json.'],
});
// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { readCloudAssembly, resourcesOfType, TemplateResolver } = await import(
  '../lib/local/cloudformation/template.ts'
);
const { localStateDir, readRuntimeInfo } = await import('../lib/start/runtime-file.ts');

const localDir = localStateDir(PROJECT_ROOT);
const running = readRuntimeInfo(localDir);
if (!running.ok) {
  console.error(
    `Could not find a running local backend (${running.reason}).\n` +
      'Start one in another terminal with `npm start` (it writes .local/runtime.json once ready), then run `npm run sam:env` again.',
  );
  process.exit(2);
}
const { info } = running;
/** The backend's endpoint as SAM's containers reach it. */
const fromContainer = (endpoint: string) => {
  const url = new URL(endpoint);
  url.hostname = values.host;
  return url.origin;
};
const assembly = readCloudAssembly(info.assemblyDir);
const resolver = new TemplateResolver(assembly, {
  tableNamePrefix: 'shop-local-',
  apiEndpoint: info.apiUrl,
  ...(info.s3Endpoint ? { s3Endpoint: info.s3Endpoint } : {}),
  ...(info.webSocketUrl
    ? { webSocketEndpoint: new URL(info.webSocketUrl).origin.replace(/^http/, 'ws') }
    : {}),
});
const env: Record<string, Record<string, string>> = {};
for (const { stackName, logicalId, resource } of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
  const variables =
    (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {};
  env[logicalId] = {
    ...(resolver.resolve(variables, stackName) as Record<string, string>),
    AWS_ENDPOINT_URL_DYNAMODB: fromContainer(info.dynamodbEndpoint),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fromContainer(info.secretsEndpoint),
    AWS_ENDPOINT_URL_SQS: fromContainer(info.sqsEndpoint),
    ...(info.s3Endpoint ? { AWS_ENDPOINT_URL_S3: fromContainer(info.s3Endpoint) } : {}),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
  };
}
mkdirSync(localDir, { recursive: true });
const file = path.join(localDir, 'sam-env.json');
writeFileSync(file, `${JSON.stringify(env, null, 2)}\n`);
console.log(
  `wrote ${path.relative(process.cwd(), file)} for ${Object.keys(env).length} functions, ` +
    `from the npm start of ${info.startedAt} (pid ${info.pid}): DynamoDB ${fromContainer(info.dynamodbEndpoint)}, ` +
    `Secrets Manager ${fromContainer(info.secretsEndpoint)}`,
);
console.log(
  `templates: ${assembly.stacks.map((s) => path.relative(process.cwd(), path.join(info.assemblyDir, `${s.stackName}.template.json`))).join(', ')}`,
);
