import { http, ok } from '../core/http.ts';
import { issuerUrl } from './issuer.ts';

/** GET /.well-known/openid-configuration: where API Gateway's authorizer finds our keys. */
export const handler = http(async () => {
  const issuer = issuerUrl();
  return ok(
    {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/auth/login`,
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['admin'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'scope'],
    },
    { 'cache-control': 'public, max-age=3600' },
  );
});
