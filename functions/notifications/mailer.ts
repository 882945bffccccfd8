import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { AWS_CLIENT_CONFIG } from '../core/client-timeouts.ts';
import { declareEnv, requireEnv } from '../core/config.ts';
import type { RenderedEmail } from './templates.ts';

declareEnv('EMAIL_FROM', (value) =>
  /^[^@\s]+@[^@\s]+$/.test(value) ? undefined : 'expected an email address',
);
declareEnv('EMAIL_CONFIGURATION_SET');

let client: SESv2Client | undefined;

/**
 * Sends one email through SES v2 (locally the mail catcher, through `AWS_ENDPOINT_URL_SESV2`),
 * from the environment's identity, in its configuration set (whose event destination and the
 * account-level suppression list deal with bounces and complaints: SES itself refuses to send
 * to a suppressed address). `headers` go on the message (List-Unsubscribe).
 */
export async function sendEmail(
  to: string,
  email: RenderedEmail,
  headers: Readonly<Record<string, string>> = {},
): Promise<string> {
  client ??= new SESv2Client(AWS_CLIENT_CONFIG);
  const out = await client.send(
    new SendEmailCommand({
      FromEmailAddress: requireEnv('EMAIL_FROM'),
      Destination: { ToAddresses: [to] },
      ConfigurationSetName: requireEnv('EMAIL_CONFIGURATION_SET'),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: email.html, Charset: 'UTF-8' },
            Text: { Data: email.text, Charset: 'UTF-8' },
          },
          ...(Object.keys(headers).length > 0
            ? { Headers: Object.entries(headers).map(([Name, Value]) => ({ Name, Value })) }
            : {}),
        },
      },
    }),
  );
  return out.MessageId ?? '';
}
