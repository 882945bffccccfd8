import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** A new ULID: unique and sortable by creation time, so key order is time order. */
export function newId(at: number = Date.now()): string {
  return next(at);
}

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
