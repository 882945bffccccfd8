// Floor (e) of `npm run bench`: floor (b), one GetItem, with the Powertools Tracer capturing the
// client (and HTTPS), as the functions that traced their calls were built until they recorded
// subsegments themselves (floor (d)). Against floor (b) it is what the X-Ray SDK adds to a cold
// start; kept to show why it went (docs/operations.md, tracing).
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getItemHandler } from './get-item-handler.ts';

const tracer = new Tracer({ serviceName: 'bench' });

export const handler = getItemHandler(tracer.captureAWSv3Client(new DynamoDBClient({})));
