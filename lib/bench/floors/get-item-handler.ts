// Floor (b) of `npm run bench`: the least a table-reading function can be, one GetItem through
// the DocumentClient and nothing else (no middy, no logger, no schemas). A catalog function's
// bundle and cold start are judged against this, not against zero.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

interface FloorEvent {
  readonly pathParameters?: { readonly id?: string };
}

/** The floor's handler over a given DynamoDB client (floor (d) passes a traced one). */
export function getItemHandler(dynamodb: DynamoDBClient) {
  const client = DynamoDBDocumentClient.from(dynamodb);
  return async (event: FloorEvent) => {
    const id = event.pathParameters?.id ?? 'missing';
    const { Item } = await client.send(
      new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: id, sk: id } }),
    );
    return Item ? { statusCode: 200, body: JSON.stringify(Item) } : { statusCode: 404 };
  };
}

// Built at module scope, as usual for Lambda, so its construction counts as init. Marked pure so
// that floor (d), which imports the factory only, does not build this client too.
export const handler = /* @__PURE__ */ getItemHandler(/* @__PURE__ */ new DynamoDBClient({}));
