import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mailbox, messageIdsTo, waitForCode } from '../../lib/load/mailbox.ts';
import { type LocalSes, startLocalSes } from '../../lib/local/ses/index.ts';

// How the load reads reset codes: from the local SES's JSON store, as a process apart would.
let ses: LocalSes;
let client: SESv2Client;
let mailbox: Mailbox;

const SUBJECT = 'Your password reset code';
const send = (to: string, text: string, subject = SUBJECT) =>
  client.send(
    new SendEmailCommand({
      FromEmailAddress: 'shop@shop.local',
      Destination: { ToAddresses: [to] },
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: text } } } },
    }),
  );

describe('the load mailbox (local SES store)', () => {
  beforeAll(async () => {
    ses = await startLocalSes();
    client = new SESv2Client({
      endpoint: ses.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    mailbox = { storeUrl: ses.storeUrl };
  });
  afterAll(async () => {
    client?.destroy();
    await ses?.stop();
  });

  it('waits for the next code to an address: not an earlier one, not another address or subject, not a mail without a code', async () => {
    const to = `reader-${Date.now()}@load.local`;
    await send(to, 'Your code is 111111. Valid for 15 minutes.');
    const seen = await messageIdsTo(mailbox, to);
    expect(seen.size).toBe(1);
    const waiting = waitForCode(mailbox, to, SUBJECT, seen, 10_000);
    await send(`other-${to}`, 'Your code is 222222.');
    await send(to, 'Your verification code is 555555.', 'Your verification code');
    await send(to, 'Your password was changed.');
    await send(to, 'Your code is 333333. Valid for 15 minutes.');
    expect(await waiting).toBe('333333');
  });

  it('gives up after its timeout when no code comes', async () => {
    const to = `silent-${Date.now()}@load.local`;
    await send(to, 'Your code is 444444.');
    const seen = await messageIdsTo(mailbox, to);
    expect(await waitForCode(mailbox, to, SUBJECT, seen, 300)).toBeUndefined();
  });
});
