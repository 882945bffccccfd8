import type { Mailbox } from './mailbox.ts';

/** A running backend to load: where it is, its seeded admin, the secret its webhook verifies. */
export interface LoadTarget {
  readonly url: string;
  readonly webSocketUrl: string;
  readonly admin: { readonly email: string; readonly password: string };
  readonly webhookSecret: string;
  /**
   * Where the load reads the email the target sends (a local target's SES store), to complete
   * password resets with the emailed code; a deployed target has none (resets then try a wrong code).
   */
  readonly mailbox?: Mailbox;
}

export interface LoadOptions {
  readonly durationSeconds: number;
  /** Seeds every choice the virtual users make (timing still varies run to run). */
  readonly seed: number;
  /** Virtual users: each a registered customer with a WebSocket open, acting in a loop. */
  readonly users: number;
  /** Products created for the run, and the stock each starts with (small: orders compete). */
  readonly products: number;
  readonly stockPerProduct: number;
  /** Customers without a socket whose passwords are reset for real, when the target has a mailbox (default: a quarter of `users`, at least 2). */
  readonly recoveryUsers?: number;
  /** Called when the load starts (after setup), every `tickSeconds`, and when it ends (progress lines, memory samples). */
  readonly tickSeconds?: number;
  readonly onTick?: (progress: Progress) => void;
}

export interface Progress {
  readonly elapsedSeconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly serverErrors: number;
  readonly messagesAccepted: number;
  readonly ordersPlaced: number;
}

/** Statuses and latencies of one kind of request. */
export interface KindStats {
  readonly statuses: Record<string, number>;
  readonly latenciesMs: number[];
}

export interface InvariantResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface LoadResult {
  readonly durationSeconds: number;
  readonly seed: number;
  readonly kinds: Record<string, KindStats>;
  /** Requests of the final checks (not part of the load, but held to "no 5xx" too). */
  readonly checks: Record<string, KindStats>;
  readonly invariants: InvariantResult[];
  /** Password resets completed with the emailed code (none without a mailbox). */
  readonly passwordResets: { readonly mailbox: boolean; readonly completed: number };
  readonly totals: { requests: number; requestsPerSecond: number; serverErrors: number };
}

/** A virtual user: a registered customer with a socket open, and what it may act on next. */
export interface User {
  readonly id: string;
  readonly email: string;
  token: string;
  readonly conversations: { id: string; otherId: string }[];
  readonly payable: PlacedOrder[];
  readonly cancellable: PlacedOrder[];
  sentInMinute: { minute: number; count: number };
}

export interface PlacedOrder {
  readonly id: string;
  readonly lines: { productId: string; quantity: number }[];
  readonly total: number;
  readonly currency: string;
}

export interface AcceptedMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly recipientId: string;
}

/** A product created for the run. */
export interface LoadProduct {
  readonly id: string;
  readonly initialStock: number;
}

/** The password every account of the load registers with. */
export const PASSWORD = 'load-test-password-1';
