import { http, ok } from '../core/http.ts';

/** GET /health: liveness only; it touches no dependency so it stays cheap and never flaps. */
export const handler = http(async () => ok({ status: 'ok' }, { 'cache-control': 'no-store' }));
