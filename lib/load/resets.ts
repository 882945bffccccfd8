import { randomUUID } from 'node:crypto';
import { CODE_REQUEST_LIMITS } from '../../functions/accounts/email-codes.ts';
import { MAX_FAILED_LOGINS } from '../../functions/accounts/login-attempts-store.ts';
import { STRINGS } from '../../functions/notifications/strings.ts';
import { type Mailbox, messageIdsTo, waitForCode } from './mailbox.ts';
import { type InvariantResult, PASSWORD } from './model.ts';
import { type Api, registerCustomers } from './setup.ts';
import type { Recorder } from './stats.ts';

/*
 * Password resets completed for real, on a target whose email the load can read (a local one).
 * A reset revokes every session of the account, which closes its sockets: the virtual users'
 * sockets are watched by the message invariant, so resets go to a pool of "recovery" customers
 * with no socket. Details name them by number: no code and no address is ever printed.
 */

/** How long a code email may take to arrive: it goes out from a stream consumer (the outbox). */
const CODE_EMAIL_WAIT_MS = 20_000;
/** The subject of the reset code email (recovery users keep the default language, English). */
const RESET_SUBJECT = STRINGS.en.kinds['password-reset'].subject;
/**
 * Codes one recovery user asks for in a run: no more than its address may ask for in an hour
 * (429 beyond), nor than the failed sign-ins the check after the run spends on its old passwords.
 */
const RESETS_PER_USER = Math.min(CODE_REQUEST_LIMITS.addressPerHour, MAX_FAILED_LOGINS);

interface RecoveryUser {
  /** What details call it ("recovery user 2"): never the address. */
  readonly label: string;
  readonly email: string;
  password: string;
  /** The password before each completed reset, oldest first. */
  readonly oldPasswords: string[];
  /** Codes asked for in this run (at most RESETS_PER_USER). */
  requests: number;
}

/** The recovery pool, who of it is free, and how the resets went. */
export interface PasswordResets {
  readonly mailbox: Mailbox;
  readonly users: readonly RecoveryUser[];
  /** The recovery users no reset is under way for. */
  readonly idle: RecoveryUser[];
  completed: number;
  /** What went wrong in a reset (a code email that never came, a code refused, a sign-in refused). */
  readonly problems: string[];
}

/** Registers `count` recovery customers when the target has a mailbox; undefined when it has none. */
export async function setUpResets(
  mailbox: Mailbox | undefined,
  checks: Recorder,
  api: Api,
  count: number,
  runId: string,
): Promise<PasswordResets | undefined> {
  if (!mailbox || count < 1) return undefined;
  const customers = await registerCustomers(checks, api, 'load-recovery', count, runId);
  const users = customers.map(({ email }, i) => ({
    label: `recovery user ${i}`,
    email,
    password: PASSWORD,
    oldPasswords: [],
    requests: 0,
  }));
  return { mailbox, users, idle: [...users], completed: 0, problems: [] };
}

/** Takes an idle recovery user that may still ask for a code, if there is one. */
export function takeRecoveryUser(resets: PasswordResets): RecoveryUser | undefined {
  const i = resets.idle.findIndex((user) => user.requests < RESETS_PER_USER);
  return i < 0 ? undefined : resets.idle.splice(i, 1)[0];
}

/**
 * A reset as a customer does it: asks for a code, reads it from the mailbox, sets a new
 * password with it, signs in with the new password; then hands the user back to the pool.
 */
export async function completeReset(
  load: Recorder,
  api: Api,
  resets: PasswordResets,
  user: RecoveryUser,
): Promise<void> {
  const { email, label } = user;
  try {
    const seen = await messageIdsTo(resets.mailbox, email);
    user.requests++;
    const asked = await load.send('reset:request', api('/auth/password-reset'), {
      method: 'POST',
      body: { email },
    });
    if (asked.status !== 202) return;
    const code = await waitForCode(resets.mailbox, email, RESET_SUBJECT, seen, CODE_EMAIL_WAIT_MS);
    if (!code) {
      resets.problems.push(`${label}: no code email within ${CODE_EMAIL_WAIT_MS / 1000} s`);
      return;
    }
    const newPassword = `load-reset-${randomUUID()}`;
    const confirmed = await load.send('reset:confirm', api('/auth/password-reset/confirm'), {
      method: 'POST',
      body: { email, code, newPassword },
    });
    if (confirmed.status !== 204) {
      resets.problems.push(`${label}: the emailed code answered ${confirmed.status}`);
      return;
    }
    user.oldPasswords.push(user.password);
    user.password = newPassword;
    resets.completed++;
    const signedIn = await load.send('reset:login', api('/auth/login'), {
      method: 'POST',
      body: { email, password: newPassword },
    });
    if (signedIn.status !== 200) {
      resets.problems.push(`${label}: signing in with the new password answered ${signedIn.status}`);
    }
  } catch (error) {
    // The mailbox could not be read: the target's fault or ours, never worth ending the run for.
    resets.problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    resets.idle.push(user);
  }
}

/** One reset per recovery user, at the start: even a short or slow run completes some. */
export async function firstResets(load: Recorder, api: Api, resets: PasswordResets): Promise<void> {
  const users = resets.idle.splice(0);
  await Promise.all(users.map((user) => completeReset(load, api, resets, user)));
}

/**
 * After the run: every completed reset's old password now fails (401) and the latest works.
 * The latest is tried first, since a sign-in clears the failed ones: the old ones then add at
 * most RESETS_PER_USER failures, within what the sign-in throttle allows.
 */
export async function checkResets(
  checks: Recorder,
  api: Api,
  resets: PasswordResets,
): Promise<InvariantResult> {
  const wrong: string[] = [];
  let oldTried = 0;
  const signIn = (email: string, password: string) =>
    checks.send('check:resets', api('/auth/login'), { method: 'POST', body: { email, password } });
  for (const user of resets.users) {
    if (user.oldPasswords.length === 0) continue;
    const latest = await signIn(user.email, user.password);
    if (latest.status !== 200) wrong.push(`${user.label}: the new password answered ${latest.status}`);
    for (const old of user.oldPasswords) {
      oldTried++;
      const res = await signIn(user.email, old);
      if (res.status !== 401) wrong.push(`${user.label}: an old password answered ${res.status}`);
    }
  }
  const problems = [...resets.problems, ...wrong];
  return {
    name: 'password resets complete',
    ok: resets.completed > 0 && problems.length === 0,
    detail:
      `${resets.completed} completed by ${resets.users.length} recovery users (code read from the mailbox, ` +
      `new password set and signed in with); ${oldTried} old passwords tried after the run` +
      (problems.length === 0 ? ', all refused, every new one works' : `; ${problems.join('; ')}`),
  };
}
