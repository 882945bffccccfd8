import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Credentials a signature is checked against (the local account's). */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What a request looks like to the signature check: method, raw URL, headers as Node gives them, body hash. */
export interface SignedRequest {
  readonly method: string;
  /** The request target as sent (`/bucket/key?X-Amz-...`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Hex SHA-256 of the body (checked against `x-amz-content-sha256` when the client sent one). */
  readonly bodySha256: string;
}

/** Why S3 refuses a request's authentication, with S3's error code and status. */
export class SignatureError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 403) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_EXPIRES_SECONDS = 604_800;
/** How far a header-signed request's clock may be from ours (S3 allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60_000;

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX). */
export const uriEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** `20260101T000000Z` -> epoch ms, or NaN. */
function amzDateMs(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  const [year, month, day, hours, minutes, seconds] = m.slice(1).map(Number) as [number, ...number[]];
  return Date.UTC(year, (month ?? 1) - 1, day, hours, minutes, seconds);
}

interface Authorization {
  readonly credential: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly payloadHash: string;
  /** The query pairs that enter the canonical query string (all but the signature). */
  readonly query: [string, string][];
  /** When a presigned URL stops working (epoch ms); undefined for header-signed requests. */
  readonly expiresAtMs?: number;
}

const header = (headers: SignedRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** Reads SigV4 from the query string (a presigned URL) or the Authorization header. */
function readAuthorization(request: SignedRequest, query: [string, string][]): Authorization {
  const params = new Map(query);
  if (params.has('X-Amz-Signature')) {
    if (params.get('X-Amz-Algorithm') !== ALGORITHM)
      throw new SignatureError(
        'AuthorizationQueryParametersError',
        `X-Amz-Algorithm must be ${ALGORITHM}.`,
        400,
      );
    const expires = Number(params.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS)
      throw new SignatureError(
        'AuthorizationQueryParametersError',
        'X-Amz-Expires must be a number of seconds from 1 to 604800.',
        400,
      );
    const amzDate = params.get('X-Amz-Date') ?? '';
    return {
      credential: params.get('X-Amz-Credential') ?? '',
      signedHeaders: (params.get('X-Amz-SignedHeaders') ?? '').split(';'),
      signature: params.get('X-Amz-Signature') ?? '',
      amzDate,
      payloadHash: params.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
      query: query.filter(([key]) => key !== 'X-Amz-Signature'),
      expiresAtMs: amzDateMs(amzDate) + expires * 1000,
    };
  }
  const authorization = header(request.headers, 'authorization');
  if (!authorization) throw new SignatureError('AccessDenied', 'Access Denied (the request is not signed).');
  const m = new RegExp(
    `^${ALGORITHM} Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$`,
  ).exec(authorization.trim());
  if (!m)
    throw new SignatureError('AuthorizationHeaderMalformed', 'The authorization header is malformed.', 400);
  const payloadHash = header(request.headers, 'x-amz-content-sha256');
  if (!payloadHash)
    throw new SignatureError(
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
      400,
    );
  return {
    credential: m[1] ?? '',
    signedHeaders: (m[2] ?? '').split(';'),
    signature: m[3] ?? '',
    amzDate: header(request.headers, 'x-amz-date') ?? '',
    payloadHash,
    query,
  };
}

/** The query's pairs, decoded, in the order sent. */
export function queryPairs(url: string): [string, string][] {
  const search = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return [...new URLSearchParams(search)];
}

/**
 * Checks a request's AWS Signature Version 4 as S3 does, for a presigned URL (query
 * parameters) or an `Authorization` header: the credential's key and scope, the time (a
 * presigned URL's expiry; a header-signed request's clock skew), the signature over the
 * canonical request built from the headers actually sent (so a presigned PUT that signed
 * `content-type` and `content-length` refuses any other type or size), and the body against
 * `x-amz-content-sha256`. Throws a {@link SignatureError} naming S3's error code.
 */
export function verifySigV4(
  request: SignedRequest,
  credentials: SigningCredentials,
  region: string,
  now = Date.now(),
): void {
  const query = queryPairs(request.url);
  const auth = readAuthorization(request, query);
  const [accessKeyId, date, scopeRegion, service, terminator] = auth.credential.split('/');
  if (accessKeyId !== credentials.accessKeyId)
    throw new SignatureError(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  if (service !== 's3' || terminator !== 'aws4_request' || !auth.amzDate.startsWith(date ?? '-'))
    throw new SignatureError('AuthorizationHeaderMalformed', 'The credential scope is malformed.', 400);
  if (scopeRegion !== region)
    throw new SignatureError(
      'AuthorizationHeaderMalformed',
      `The region '${scopeRegion}' is wrong; expecting '${region}'.`,
      400,
    );
  const signedAt = amzDateMs(auth.amzDate);
  if (Number.isNaN(signedAt)) throw new SignatureError('AccessDenied', 'X-Amz-Date is missing or malformed.');
  if (auth.expiresAtMs !== undefined) {
    if (now > auth.expiresAtMs) throw new SignatureError('AccessDenied', 'Request has expired');
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new SignatureError(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  if (!auth.signedHeaders.includes('host'))
    throw new SignatureError('AccessDenied', 'The host header must be signed.');
  const canonicalHeaders = auth.signedHeaders
    .map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const rawPath = request.url.split('?')[0] ?? '/';
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = auth.query
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    auth.payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, auth.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ''), region), 's3'),
    'aws4_request',
  );
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(auth.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new SignatureError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  if (auth.payloadHash.startsWith('STREAMING-'))
    throw new SignatureError('NotImplemented', 'Chunked (streaming) uploads are not emulated locally.', 501);
  if (auth.payloadHash !== 'UNSIGNED-PAYLOAD' && auth.payloadHash !== request.bodySha256)
    throw new SignatureError(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
    );
}
