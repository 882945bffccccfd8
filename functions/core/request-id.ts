/**
 * The response header that carries API Gateway's request id on every answer of a function
 * (the same id is `requestId` in every log line of the request and in the access log). No
 * dependencies: the CDK app exposes it through CORS.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
