import { type ContractDocument, createContract, type Exchange } from '../../lib/api/contract.ts';
import { openApiDocument } from '../../lib/api/openapi.ts';

export type { Exchange } from '../../lib/api/contract.ts';

/** The document exactly as clients receive it (through JSON). */
export const DOCUMENT = JSON.parse(JSON.stringify(openApiDocument())) as ContractDocument;

const contract = createContract(DOCUMENT);

/** The operation a request reaches, as API Gateway picks it: the most specific matching path. */
export const operationFor = contract.operationFor;

/**
 * Everything about a response that the OpenAPI document does not allow: an undocumented
 * status, a content type the status does not have, a body that does not validate against the
 * schema (unknown fields included: response schemas forbid them). Empty when it conforms.
 */
export const contractViolations = (exchange: Exchange): string[] => contract.violations(exchange);

// Origins of the backends whose answers are checked (startTestBackend registers each).
const checkedOrigins = new Set<string>();

/** From now on, every response `call()` receives from this API is checked against the document. */
export function checkContractOf(apiUrl: string): void {
  checkedOrigins.add(new URL(apiUrl).origin);
}

/** Whether answers from this URL's origin (HTTP or WebSocket API of a test backend) are checked. */
export const isContractChecked = (url: string): boolean => checkedOrigins.has(new URL(url).origin);

/**
 * What is wrong with a frame the WebSocket API pushed, by the document's `ServerFrame` schema
 * (its section on real time); empty when it conforms.
 */
export const frameViolations = (frame: unknown): string[] => contract.frameViolations(frame);

/** Throws, failing the test, when a response of a checked API breaks the document's contract. */
export function assertContract(exchange: Exchange): void {
  if (!isContractChecked(exchange.url)) return;
  // A CORS preflight is API Gateway's own answer to OPTIONS, never an operation.
  if (exchange.method.toUpperCase() === 'OPTIONS') return;
  const violations = contractViolations(exchange);
  if (violations.length > 0) {
    throw new Error(
      `The response breaks the OpenAPI contract:\n  ${violations.join('\n  ')}\nBody: ${exchange.text.slice(0, 500)}`,
    );
  }
}
