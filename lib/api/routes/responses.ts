/** Response descriptions that several domains' routes share. */
export const unauthorized = { description: 'No valid access token.' };
export const forbidden = { description: 'The token lacks the admin scope.' };
export const invalid = { description: 'Invalid input.' };
export const noOrder = { description: 'No such order (or not yours).' };
export const busy = {
  description: 'Too many concurrent changes of the same data; repeat the request.',
  problems: ['conflict', 'concurrent-update'],
} as const;
export const accountGone = { description: 'The caller’s account no longer exists.' };
export const tooLarge = { description: 'The body is too large.' };
