import { encodeTime, monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** A new ULID: unique and sortable by creation time, so key order is time order. */
export function newId(at: number = Date.now()): string {
  return next(at);
}

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The time part (first 10 characters) of any ULID made at `ms`: a sort-key bound for "created before". */
export function ulidTimePrefix(ms: number): string {
  return encodeTime(ms, 10);
}
