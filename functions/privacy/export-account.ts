import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { exportPersonalData } from './personal-data.ts';

/** GET /me/export: all of the caller's stored data, as JSON (data portability). */
export const handler = http(async (event) => {
  const data = await exportPersonalData(caller(event).userId);
  return ok(data, {
    'cache-control': 'no-store',
    'content-disposition': 'attachment; filename="my-data.json"',
  });
});
