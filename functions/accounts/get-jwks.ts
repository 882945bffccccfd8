import { http, ok } from '../core/http.ts';
import { publicJwks } from './signing-keys.ts';
import { signingKeySet } from './tokens.ts';

/** GET /.well-known/jwks.json: the public halves of every signing key (several during a rotation). */
export const handler = http(async () =>
  ok({ keys: publicJwks(await signingKeySet()) }, { 'cache-control': 'public, max-age=300' }),
);
