import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { declareEnv, requireEnv, url } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { connectionTokenVerifier, tokenFromProtocols } from './connection-token.ts';

declareEnv('AUTH_ISSUER', url);
declareEnv('AUTH_AUDIENCE');

let verifier: ReturnType<typeof connectionTokenVerifier> | undefined;
const verify = (token: string) => {
  verifier ??= connectionTokenVerifier({
    issuer: requireEnv('AUTH_ISSUER'),
    audience: requireEnv('AUTH_AUDIENCE'),
  });
  return verifier(token);
};

/**
 * The WebSocket API's `$connect` authorizer (a Lambda REQUEST authorizer: WebSocket APIs take
 * no JWT authorizer). It verifies the access token offered as a subprotocol and hands the
 * user id to every route of the connection as `requestContext.authorizer.userId`. A missing,
 * malformed, expired or foreign token is thrown as `Unauthorized`: API Gateway refuses the
 * handshake with 401 and no function runs.
 */
export const handler = lambda(
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const header = Object.entries(event.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
    const token = tokenFromProtocols(header);
    if (!token) throw new Error('Unauthorized');
    try {
      const identity = await verify(token);
      return {
        principalId: identity.userId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
        },
        context: { userId: identity.userId, scope: identity.scopes.join(' ') },
      };
    } catch (error) {
      // Never log the token; the reason is enough to tell an expired token from a forged one.
      logger.info('connection refused', { reason: error instanceof Error ? error.message : String(error) });
      throw new Error('Unauthorized');
    }
  },
);
