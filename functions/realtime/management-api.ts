import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { AWS_CLIENT_CONFIG } from '../core/client-timeouts.ts';
import { declareEnv, requireEnv, url } from '../core/config.ts';

declareEnv('WEBSOCKET_API_ENDPOINT', url);
declareEnv('WEBSOCKET_STAGE');

/**
 * The `@connections` endpoint of the WebSocket API's stage: `https://<api>.execute-api.<region>
 * .amazonaws.com/<stage>`, derived from the API's `wss://` endpoint and the stage name the
 * template passes. Locally the same derivation yields the emulator's `http://localhost:<port>/
 * <stage>`, so no code path differs.
 */
export function callbackUrl(): string {
  const endpoint = requireEnv('WEBSOCKET_API_ENDPOINT').replace(/\/$/, '');
  const stage = requireEnv('WEBSOCKET_STAGE');
  return `${endpoint.replace(/^wss:/, 'https:').replace(/^ws:/, 'http:')}/${stage}`;
}

let client: ApiGatewayManagementApiClient | undefined;

/** The management API client of this function (one per execution environment). */
export const managementApi = (): ApiGatewayManagementApiClient => {
  client ??= new ApiGatewayManagementApiClient({ ...AWS_CLIENT_CONFIG, endpoint: callbackUrl() });
  return client;
};

/** Whether the management API said the connection no longer exists (410). */
export function isGone(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'GoneException' ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410)
  );
}
