import { declareEnv, requireEnv, url } from '../core/config.ts';

declareEnv('AUTH_ISSUER', url);

/** The token issuer (`iss`): the API's own base URL (or the environment's custom domain). */
export const issuerUrl = (): string => requireEnv('AUTH_ISSUER').replace(/\/$/, '');
