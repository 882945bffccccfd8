import type { Contract } from '../api/contract.ts';

/** What came back for a request (or that nothing did). */
export interface FuzzResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** Set when no answer arrived: a reset connection, a hang past the client's timeout. */
  readonly error?: string;
}

/**
 * Judges one answer: no 5xx ever (the emulator does not throttle, so no gateway 429 either:
 * a 429 can only be a route's own documented limit), every 4xx `application/problem+json` or
 * API Gateway's own `{"message"}` JSON, and status, media type and body as the document
 * says for the operation the request reached. Returns what is wrong; empty when all is well.
 */
export function judge(
  contract: Contract,
  request: {
    readonly method: string;
    readonly url: string;
    readonly headers?: readonly (readonly [string, string])[];
    readonly body?: Buffer;
  },
  response: FuzzResponse,
): string[] {
  if (response.error) return [`no answer: ${response.error}`];
  const problems: string[] = [];
  if (response.status >= 500) problems.push(`answered ${response.status}: a server error`);
  const mediaType = response.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const isHead = request.method.toUpperCase() === 'HEAD';
  if (
    response.status >= 400 &&
    response.status < 500 &&
    !isHead &&
    mediaType !== 'application/problem+json' &&
    mediaType !== 'application/json'
  ) {
    problems.push(`answered ${response.status} as '${response.contentType}', not application/problem+json`);
  }
  // A CORS preflight is API Gateway's own answer to OPTIONS with Origin, never an operation;
  // the fuzzer sends no Origin, so its OPTIONS requests are routed like any other method.
  problems.push(
    ...contract.violations({
      method: request.method,
      url: request.url,
      status: response.status,
      contentType: response.contentType,
      text: response.text,
      // Held to the request side too: a success for a body, query value or header the document refuses.
      ...(request.headers
        ? {
            request: {
              headers: Object.fromEntries(
                request.headers.map(([name, value]) => [name.toLowerCase(), value]),
              ),
              ...(request.body ? { body: request.body } : {}),
            },
          }
        : {}),
    }),
  );
  return problems;
}
