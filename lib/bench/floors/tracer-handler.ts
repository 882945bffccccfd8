// Floor (d) of `npm run bench`: floor (b), one GetItem, with the Powertools Tracer capturing the
// client (and HTTPS), as the functions that trace their calls are built. Against floor (b) it
// is what the Tracer (the X-Ray SDK) adds to a cold start; see observability.tracedCalls.
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const tracer = new Tracer({ serviceName: 'bench' });
const client = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));

interface FloorEvent {
  readonly pathParameters?: { readonly id?: string };
}

export const handler = async (event: FloorEvent) => {
  const id = event.pathParameters?.id ?? 'missing';
  const { Item } = await client.send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: id, sk: id } }),
  );
  return Item ? { statusCode: 200, body: JSON.stringify(Item) } : { statusCode: 404 };
};
