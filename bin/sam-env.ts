// `npm run sam:env`: writes .local/sam-env.json, the --env-vars file for the real AWS SAM CLI.
// SAM leaves Fn::ImportValue/Ref of the table and secrets empty; this fills them with the
// values of a running `npm start` (DYNAMODB_PORT and SECRETS_PORT must match it), reachable
// from SAM's Docker containers through host.docker.internal.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/constructs/endpoint-function.ts';
import {
  readCloudAssembly,
  resourcesOfType,
  TemplateResolver,
} from '../lib/local/cloudformation/template.ts';
import { synthesize } from '../lib/synth.ts';

const dynamodbPort = process.env.DYNAMODB_PORT ?? '8000';
const secretsPort = process.env.SECRETS_PORT ?? '8001';
const host = process.env.SAM_HOST ?? 'host.docker.internal';
const { outdir } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'cdk.out'), { reuse: true });
const assembly = readCloudAssembly(outdir);
const resolver = new TemplateResolver(assembly, {
  tableNamePrefix: 'shop-local-',
  apiEndpoint: 'http://127.0.0.1:3000',
});
const env: Record<string, Record<string, string>> = {};
for (const { stackName, logicalId, resource } of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
  const variables =
    (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {};
  env[logicalId] = {
    ...(resolver.resolve(variables, stackName) as Record<string, string>),
    AWS_ENDPOINT_URL_DYNAMODB: `http://${host}:${dynamodbPort}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://${host}:${secretsPort}`,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
  };
}
mkdirSync(path.join(PROJECT_ROOT, '.local'), { recursive: true });
const file = path.join(PROJECT_ROOT, '.local', 'sam-env.json');
writeFileSync(file, `${JSON.stringify(env, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)} for ${Object.keys(env).length} functions`);
console.log(
  `templates: ${assembly.stacks.map((s) => path.relative(process.cwd(), path.join(outdir, `${s.stackName}.template.json`))).join(', ')}`,
);
