import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { formatScryptParameters, SCRYPT_PARAMETERS_VARIABLE } from '../../functions/accounts/passwords.ts';
import { useTable } from '../../functions/core/db.ts';
import { ROUTES, routeKey } from '../../lib/api/routes.ts';
import { environmentConfig } from '../../lib/config/environments.ts';
import { readCloudAssembly, resourcesOfType } from '../../lib/local/cloudformation/template.ts';
import { ensureTable } from '../../lib/local/dynamodb/table.ts';

/** Credentials DynamoDB Local accepts (it checks the shape, not the value). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function localDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
}

/**
 * Creates a fresh table, defined exactly as the synthesized template defines the real one, and
 * points this test file's stores and handlers at it. One table per file keeps files independent.
 */
export async function useFreshTable(): Promise<{ client: DynamoDBDocumentClient; tableName: string }> {
  const assembly = readCloudAssembly(inject('assemblyDir'));
  const [tableResource] = resourcesOfType(assembly, 'AWS::DynamoDB::Table');
  if (!tableResource) throw new Error('The synthesized app has no table.');
  const tableName = `test-${randomUUID()}`;
  const raw = localDynamoDbClient();
  await ensureTable(raw, tableResource.resource, tableName);
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  useTable(client, tableName);
  // Handlers under test read these like deployed functions do.
  process.env.TABLE_NAME = tableName;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = inject('secretsEndpoint');
  process.env.CURSOR_SECRET_ARN = inject('cursorSecretArn');
  process.env.SIGNING_KEY_SECRET_ARN = inject('signingKeySecretArn');
  process.env.AUTH_ISSUER = 'https://api.test.local';
  process.env.AUTH_AUDIENCE = 'shop-api-test';
  process.env.ORDER_PAYMENT_WINDOW_MINUTES = '30';
  process.env[SCRYPT_PARAMETERS_VARIABLE] = formatScryptParameters(
    environmentConfig('local').passwordHashing,
  );
  process.env.ROUTE_KEYS = ROUTES.map(routeKey).join(',');
  return { client, tableName };
}
