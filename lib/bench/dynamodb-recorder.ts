import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one DynamoDB request consumed, as DynamoDB reports it with `ReturnConsumedCapacity: TOTAL`. */
export interface DynamoDbCall {
  /** `GetItem`, `Query`, `TransactWriteItems`... */
  readonly operation: string;
  /** Capacity units by kind (reads and writes are billed apart); a request may use both. */
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly status: number;
}

/** Operations that accept `ReturnConsumedCapacity`. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);
/** Operations whose capacity is writes (the rest read). */
const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

function unitsOf(
  operation: string,
  consumed: Consumed | Consumed[] | undefined,
): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    // Tables report split units when known; otherwise the total belongs to the operation's kind.
    if (entry.ReadCapacityUnits !== undefined || entry.WriteCapacityUnits !== undefined) {
      read += entry.ReadCapacityUnits ?? 0;
      write += entry.WriteCapacityUnits ?? 0;
    } else if (WRITE_OPERATIONS.has(operation)) {
      write += entry.CapacityUnits ?? 0;
    } else {
      read += entry.CapacityUnits ?? 0;
    }
  }
  return { read, write };
}

type AttributeValue = Record<string, unknown>;

/** An attribute value's size as DynamoDB counts it for billing (close enough for numbers and sets). */
function valueSize(value: AttributeValue): number {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return Math.ceil(String(inner).replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'SS':
    case 'NS':
    case 'BS':
      return (inner as string[]).reduce((sum, v) => sum + Buffer.byteLength(v), 0);
    case 'M':
      return 3 + itemSize(inner as Record<string, AttributeValue>) + Object.keys(inner as object).length;
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, v) => sum + valueSize(v) + 1, 0);
    default:
      return 1;
  }
}

function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

/**
 * What DynamoDB bills for one TransactWriteItems request: 2 write units per KB of each item,
 * and of each index entry a Put writes; Update, Delete and ConditionCheck parts are counted at
 * 1 KB (their item is not in the request), an Update that sets an index key as one index
 * write more. DynamoDB Local cannot be asked: it reports a multi-item transaction as if it
 * held only one item.
 */
export function transactWriteUnits(
  items: readonly Record<string, Record<string, unknown>>[],
  indexes: readonly (readonly string[])[],
): number {
  let units = 0;
  for (const part of items) {
    const [kind, body] = Object.entries(part)[0] ?? ['', {}];
    if (kind === 'Put') {
      const item = body.Item as Record<string, AttributeValue>;
      const kb = Math.max(1, Math.ceil(itemSize(item) / 1024));
      // An item is in an index when it has all of the index's key attributes.
      units += 2 * kb * (1 + indexes.filter((keys) => keys.every((key) => key in item)).length);
    } else if (kind === 'Update') {
      const names = Object.values(
        (body.ExpressionAttributeNames as Record<string, string> | undefined) ?? {},
      );
      const text = `${String(body.UpdateExpression ?? '')} ${names.join(' ')}`;
      units += 2 * (1 + indexes.filter((keys) => keys.some((key) => text.includes(key))).length);
    } else {
      units += 2;
    }
  }
  return units;
}

/** Reads that find nothing still cost DynamoDB's minimum: half a unit, a whole one when consistent. */
function minimumReadUnits(operation: string, input: Record<string, unknown>): number {
  if (!['GetItem', 'Query', 'Scan'].includes(operation)) return 0;
  return input.ConsistentRead === true ? 1 : 0.5;
}

export interface DynamoDbRecorder {
  /** The endpoint to give a function: requests through it are recorded under `caller`. */
  endpointFor(caller: string): string;
  /** Recorded calls per caller since the last `take` for that caller (and forgets them). */
  take(caller: string): DynamoDbCall[];
  stop(): Promise<void>;
}

/**
 * A pass-through proxy in front of DynamoDB Local that asks for the consumed capacity of every
 * request (`ReturnConsumedCapacity: TOTAL`, which DynamoDB Local computes as DynamoDB does) and
 * records it per calling function, told apart by the endpoint path it was given
 * (`/fn/<logicalId>`, kept by the SDK as the endpoint's base path). The response goes back
 * byte for byte, so the SDK's CRC32 check still holds; the extra ConsumedCapacity field is
 * ignored by the functions.
 */
export async function startDynamoDbRecorder(
  target: string,
  /** Key attributes of each of the table's indexes (`[gsi1pk, gsi1sk]`...), whose writes a transaction pays for. */
  indexes: readonly (readonly string[])[],
): Promise<DynamoDbRecorder> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const calls = new Map<string, DynamoDbCall[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const caller = decodeURIComponent(/^\/fn\/([^/]+)/.exec(req.url ?? '')?.[1] ?? 'unknown');
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      let body = Buffer.concat(chunks);
      let input: Record<string, unknown> = {};
      if (CAPACITY_OPERATIONS.has(operation)) {
        input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        input.ReturnConsumedCapacity ??= 'TOTAL';
        body = Buffer.from(JSON.stringify(input));
      }
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const forward = http.request(
        { agent, host: upstream.hostname, port: upstream.port, method: req.method, path: '/', headers },
        (upstreamRes) => {
          const out: Buffer[] = [];
          upstreamRes.on('data', (chunk: Buffer) => out.push(chunk));
          upstreamRes.on('end', () => {
            const responseBody = Buffer.concat(out);
            let consumed: Consumed | Consumed[] | undefined;
            try {
              consumed = (
                JSON.parse(responseBody.toString('utf8')) as { ConsumedCapacity?: Consumed | Consumed[] }
              ).ConsumedCapacity;
            } catch {
              consumed = undefined;
            }
            const ok = upstreamRes.statusCode === 200;
            const measured = unitsOf(operation, consumed);
            const transactItems =
              (input.TransactItems as Record<string, Record<string, unknown>>[] | undefined) ?? [];
            const readUnits =
              operation === 'TransactGetItems'
                ? 2 * transactItems.length
                : ok
                  ? Math.max(measured.read, minimumReadUnits(operation, input))
                  : 0;
            const writeUnits =
              operation === 'TransactWriteItems'
                ? ok
                  ? transactWriteUnits(transactItems, indexes)
                  : 0
                : measured.write;
            const list = calls.get(caller) ?? [];
            list.push({ operation, readUnits, writeUnits, status: upstreamRes.statusCode ?? 0 });
            calls.set(caller, list);
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(responseBody);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpointFor: (caller) => `http://127.0.0.1:${port}/fn/${encodeURIComponent(caller)}`,
    take: (caller) => {
      const taken = calls.get(caller) ?? [];
      calls.delete(caller);
      return taken;
    },
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
