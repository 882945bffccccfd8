import * as z from 'zod/mini';
import { categorySlug } from '../catalog/category-model.ts';
import { ULID_PATTERN } from '../core/ids.ts';
import { trimmedText } from '../core/validation.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// Normalized before the uniqueness check: surrounding space and letter case never make a new account.
const email = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.maxLength(254),
    z.email('Must be an email address.'),
    z.describe('Surrounding white space is removed and letters are lower-cased before it is checked.'),
  );
const password = z
  .string()
  .check(
    z.minLength(PASSWORD_MIN_LENGTH, `Must be at least ${PASSWORD_MIN_LENGTH} characters.`),
    z.maxLength(PASSWORD_MAX_LENGTH, `Must be at most ${PASSWORD_MAX_LENGTH} characters.`),
  );
const displayName = trimmedText(60);
const bio = z.string().check(z.maxLength(500));
const refreshToken = z.string().check(z.minLength(20), z.maxLength(300));

export const registerBody = z.strictObject({ email, password, displayName });
export const loginBody = z.strictObject({
  email,
  password: z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH)),
});
export const refreshBody = z.strictObject({ refreshToken });
export const updateMeBody = z.strictObject({ displayName: z.optional(displayName), bio: z.optional(bio) });
export const changePasswordBody = z.strictObject({
  currentPassword: z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH)),
  newPassword: password,
});
const code = z.string().check(z.regex(/^[0-9]{6}$/, 'Must be the 6-digit code from the email.'));
export const emailBody = z.strictObject({ email });
export const verifyEmailBody = z.strictObject({ email, code });
export const passwordResetConfirmBody = z.strictObject({ email, code, newPassword: password });
export const changeEmailBody = z.strictObject({
  newEmail: email,
  currentPassword: z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH)),
});
export const confirmEmailChangeBody = z.strictObject({ code });
/** The answer to a code request: the same words whether or not an account has the address. */
export const codeRequestedSchema = z.object({ message: z.string() });
export const CODE_REQUESTED = {
  message: 'If an account can use a code at this address, one is on its way. It is valid for 15 minutes.',
} as const;
export const userPath = z.strictObject({
  userId: z.string().check(z.regex(ULID_PATTERN, 'Must be a user id (ULID).')),
});

export const accountSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  bio: z.string(),
  role: z.enum(ROLES),
  /** Whether the owner of the account proved the address with a code sent to it. */
  emailVerified: z.boolean(),
  createdAt: z.string(),
});
export type Account = z.infer<typeof accountSchema>;

export const publicProfileSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  bio: z.string(),
  createdAt: z.string(),
});
export type PublicProfile = z.infer<typeof publicProfileSchema>;

export const sessionSchema = z.object({
  user: accountSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
});

export const THEMES = ['system', 'light', 'dark'] as const;
export const preferencesBody = z.strictObject({
  // RFC 5646 asks implementations to handle tags of at least 35 characters; longer is abuse.
  language: z
    .string()
    .check(z.maxLength(35), z.regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'Must be a BCP 47 language tag.')),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Must be an ISO 4217 code.')),
  theme: z.enum(THEMES),
  marketingEmails: z.boolean(),
  favoriteCategories: z.array(categorySlug).check(z.maxLength(10)),
});
export type Preferences = z.infer<typeof preferencesBody>;

export const DEFAULT_PREFERENCES: Preferences = {
  language: 'en',
  currency: 'EUR',
  theme: 'system',
  marketingEmails: false,
  favoriteCategories: [],
};
