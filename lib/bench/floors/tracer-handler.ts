// Floor (d) of `npm run bench`: floor (b), one GetItem, with the X-Ray recorder the functions
// that trace their calls bundle (functions/core/xray-instrumentation.ts) recording the client
// (and fetch), run with active tracing's daemon address set. Against floor (b) built like ours
// it is what tracing adds to a cold start; see observability.tracedCalls.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { instrumentFromEnvironment } from '../../../functions/core/xray-instrumentation.ts';
import { getItemHandler } from './get-item-handler.ts';

const instrumentation = instrumentFromEnvironment();
const client = new DynamoDBClient({});

export const handler = getItemHandler(instrumentation ? instrumentation.traceClient(client) : client);
