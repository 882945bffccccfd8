/*
 * Key templates of the notifications domain, the only place they are spelled: one marker per
 * email sent, keyed by the event it answers (an order reaching a status, an account-email
 * outbox item), so a redelivered stream record finds it and sends nothing. See
 * docs/access-patterns.md.
 */

export const sentMarkerKey = (eventKey: string) => ({ pk: `SENT-EMAIL#${eventKey}`, sk: 'MARKER' });
