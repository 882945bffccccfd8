import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSes, startLocalSes } from '../../../lib/local/ses/index.ts';

let ses: LocalSes;

describe('local SES (v2)', () => {
  beforeAll(async () => {
    ses = await startLocalSes();
  });
  afterAll(async () => {
    await ses?.stop();
  });

  it('takes SendEmail from the real SDK client and keeps the message, its parts and headers', async () => {
    const client = new SESv2Client({
      endpoint: ses.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const to = `ses-${Date.now()}@example.com`;
    const out = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@shop.local',
        Destination: { ToAddresses: [to] },
        ConfigurationSetName: 'shop-local',
        Content: {
          Simple: {
            Subject: { Data: 'Hello' },
            Body: { Text: { Data: 'plain part' }, Html: { Data: '<p>html part</p>' } },
            Headers: [{ Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }],
          },
        },
      }),
    );
    expect(out.MessageId).toEqual(expect.any(String));
    const email = (await ses.emails()).find((e) => e.destination.to.includes(to));
    expect(email).toMatchObject({
      from: 'shop@shop.local',
      subject: 'Hello',
      body: { text: 'plain part', html: '<p>html part</p>' },
    });
    expect(email?.headers).toContainEqual({
      name: 'List-Unsubscribe-Post',
      value: 'List-Unsubscribe=One-Click',
    });
  });

  it('serves its web inbox and points functions at itself', async () => {
    const res = await fetch(ses.inboxUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(ses.functionEnvironment).toEqual({ AWS_ENDPOINT_URL_SESV2: ses.endpoint });
  });

  it('refuses a request without AWS credentials, like SES', async () => {
    const res = await fetch(`${ses.endpoint}/v2/email/outbound-emails`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(403);
  });
});
