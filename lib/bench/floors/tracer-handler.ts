// Floor (d) of `npm run bench`: floor (b), one GetItem, with the Powertools Tracer capturing the
// client (and HTTPS), as the functions that trace their calls are built. Against floor (b) it
// is what the Tracer (the X-Ray SDK) adds to a cold start; see observability.tracedCalls.
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getItemHandler } from './get-item-handler.ts';

const tracer = new Tracer({ serviceName: 'bench' });

export const handler = getItemHandler(tracer.captureAWSv3Client(new DynamoDBClient({})));
