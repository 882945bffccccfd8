import { describe, expect, it } from 'vitest';
import { contentOf, money } from '../../functions/notifications/compose.ts';
import { EMAIL_KINDS, LANGUAGES, languageOf, STRINGS } from '../../functions/notifications/strings.ts';
import { renderEmail } from '../../functions/notifications/templates.ts';
import { sampleOrder } from '../support/order-fixtures.ts';

const order = sampleOrder({
  items: [
    {
      productId: 'p1',
      name: '<script>alert(1)</script> & "cups"',
      unitPrice: 1250,
      quantity: 2,
      lineTotal: 2500,
    },
  ],
});

describe('email templates', () => {
  it('escapes user content in the HTML part and keeps it as written in the text part', () => {
    const email = renderEmail(
      contentOf(
        { eventKey: 'k', to: 'a@b.test', userId: 'u', essential: true, kind: 'order-placed', order },
        'en',
      ),
    );
    expect(email.html).not.toContain('<script>');
    // Mustache also escapes `/`, `=` and backticks (harmless in text and attributes).
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;&#x2F;script&gt; &amp; &quot;cups&quot;');
    expect(email.text).toContain('2 x <script>alert(1)</script> & "cups": €25.00');
    expect(email.subject).toBe(`Order ${order.id} received`);
    expect(email.html).toMatch(/^<!doctype html>/);
  });

  it('speaks the reader’s language: German for de-*, English otherwise', () => {
    expect(languageOf('de-AT')).toBe('de');
    expect(languageOf('fr')).toBe('en');
    expect(languageOf(undefined)).toBe('en');
    const de = renderEmail({ kind: 'password-reset', language: 'de', code: '012345' });
    expect(de.subject).toBe('Ihr Code zum Zurücksetzen des Passworts');
    expect(de.text).toContain('Ihr Code: 012345');
    expect(de.html).toContain('lang="de"');
    expect(money(2500, 'EUR', 'de')).toBe('25,00\u00a0€');
  });

  it('has every string of every kind in every language, and renders each', () => {
    for (const language of LANGUAGES) {
      for (const kind of EMAIL_KINDS) {
        expect(STRINGS[language].kinds[kind].subject.length, `${language} ${kind}`).toBeGreaterThan(0);
        const email = renderEmail({
          kind,
          language,
          values: { orderId: 'X1', amount: '€1.00' },
          code: '000111',
        });
        expect(email.text).toContain(STRINGS[language].kinds[kind].heading.replace('{orderId}', 'X1'));
        expect(email.html).not.toMatch(/\{\w+\}/);
      }
    }
  });

  it('shows the unsubscribe link only on mail that has one (non-essential)', () => {
    expect(renderEmail({ kind: 'order-paid', language: 'en' }).html).not.toContain('Unsubscribe');
    const withLink = renderEmail({
      kind: 'order-paid',
      language: 'en',
      unsubscribeUrl: 'https://api.test/email/unsubscribe?token=a.1.b',
    });
    const decoded = withLink.html.replaceAll('&#x2F;', '/').replaceAll('&#x3D;', '=');
    expect(decoded).toContain('href="https://api.test/email/unsubscribe?token=a.1.b"');
    expect(withLink.text).toContain(
      'Unsubscribe from these emails: https://api.test/email/unsubscribe?token=a.1.b',
    );
  });
});
