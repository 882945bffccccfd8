/*
 * The words of every email, per language: English, and German for users whose preferred
 * language (preferences) is German. `{name}` is replaced by a value; values are escaped by the
 * HTML template like everything else, so no string here may hold markup.
 */

export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

export const EMAIL_KINDS = [
  'verify-email',
  'password-reset',
  'email-change',
  'email-change-notice',
  'order-placed',
  'order-paid',
  'order-shipped',
  'order-delivered',
  'order-cancelled',
  'order-refunded',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

interface KindStrings {
  readonly subject: string;
  readonly heading: string;
  readonly intro: string;
  readonly outro?: string;
}

interface LanguageStrings {
  readonly kinds: Readonly<Record<EmailKind, KindStrings>>;
  readonly codeLabel: string;
  readonly quantity: string;
  readonly total: string;
  readonly footer: string;
  readonly unsubscribe: string;
}

const codeValid = { en: 'It is valid for 15 minutes.', de: 'Er ist 15 Minuten lang gültig.' };

export const STRINGS: Readonly<Record<Language, LanguageStrings>> = {
  en: {
    codeLabel: 'Your code',
    quantity: 'Qty',
    total: 'Total',
    footer: 'This email was sent by the shop about your account or your orders.',
    unsubscribe: 'Unsubscribe from these emails',
    kinds: {
      'verify-email': {
        subject: 'Your verification code',
        heading: 'Confirm your email address',
        intro: `Enter this code in the app to confirm your address. ${codeValid.en}`,
        outro: 'If you did not create an account, ignore this email.',
      },
      'password-reset': {
        subject: 'Your password reset code',
        heading: 'Reset your password',
        intro: `Enter this code in the app to choose a new password. ${codeValid.en}`,
        outro: 'If you did not ask for this, ignore this email: your password stays as it is.',
      },
      'email-change': {
        subject: 'Confirm your new email address',
        heading: 'Confirm your new email address',
        intro: `Enter this code in the app to move your account to this address. ${codeValid.en}`,
        outro: 'If you did not ask for this, ignore this email.',
      },
      'email-change-notice': {
        subject: 'Your email address is being changed',
        heading: 'Your email address is being changed',
        intro: 'Someone signed in to your account asked to move it to another email address.',
        outro:
          'If this was not you, reset your password now: the change needs a code sent to the new address.',
      },
      'order-placed': {
        subject: 'Order {orderId} received',
        heading: 'Thank you for your order',
        intro: 'We have received your order {orderId}. Its items are reserved until the payment completes.',
      },
      'order-paid': {
        subject: 'Payment received for order {orderId}',
        heading: 'Payment received',
        intro: 'Your payment for order {orderId} was received. We are getting it ready.',
      },
      'order-shipped': {
        subject: 'Order {orderId} is on its way',
        heading: 'Your order is on its way',
        intro: 'Order {orderId} has been shipped.',
      },
      'order-delivered': {
        subject: 'Order {orderId} was delivered',
        heading: 'Your order was delivered',
        intro: 'Order {orderId} was delivered. Enjoy!',
      },
      'order-cancelled': {
        subject: 'Order {orderId} was cancelled',
        heading: 'Your order was cancelled',
        intro: 'Order {orderId} was cancelled. If you had paid, the refund follows in a separate email.',
      },
      'order-refunded': {
        subject: 'Refund for order {orderId}',
        heading: 'Your refund is on its way',
        intro: 'We refunded {amount} for order {orderId} to your original payment method.',
      },
    },
  },
  de: {
    codeLabel: 'Ihr Code',
    quantity: 'Menge',
    total: 'Summe',
    footer: 'Diese E-Mail hat der Shop zu Ihrem Konto oder Ihren Bestellungen gesendet.',
    unsubscribe: 'Diese E-Mails abbestellen',
    kinds: {
      'verify-email': {
        subject: 'Ihr Bestätigungscode',
        heading: 'Bestätigen Sie Ihre E-Mail-Adresse',
        intro: `Geben Sie diesen Code in der App ein, um Ihre Adresse zu bestätigen. ${codeValid.de}`,
        outro: 'Wenn Sie kein Konto angelegt haben, ignorieren Sie diese E-Mail.',
      },
      'password-reset': {
        subject: 'Ihr Code zum Zurücksetzen des Passworts',
        heading: 'Passwort zurücksetzen',
        intro: `Geben Sie diesen Code in der App ein, um ein neues Passwort zu wählen. ${codeValid.de}`,
        outro:
          'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.',
      },
      'email-change': {
        subject: 'Bestätigen Sie Ihre neue E-Mail-Adresse',
        heading: 'Bestätigen Sie Ihre neue E-Mail-Adresse',
        intro: `Geben Sie diesen Code in der App ein, um Ihr Konto auf diese Adresse umzustellen. ${codeValid.de}`,
        outro: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.',
      },
      'email-change-notice': {
        subject: 'Ihre E-Mail-Adresse wird geändert',
        heading: 'Ihre E-Mail-Adresse wird geändert',
        intro:
          'Jemand, der in Ihrem Konto angemeldet ist, möchte es auf eine andere E-Mail-Adresse umstellen.',
        outro:
          'Falls Sie das nicht waren, setzen Sie jetzt Ihr Passwort zurück: Die Änderung braucht einen Code, der an die neue Adresse geht.',
      },
      'order-placed': {
        subject: 'Bestellung {orderId} eingegangen',
        heading: 'Vielen Dank für Ihre Bestellung',
        intro:
          'Ihre Bestellung {orderId} ist eingegangen. Die Artikel sind reserviert, bis die Zahlung abgeschlossen ist.',
      },
      'order-paid': {
        subject: 'Zahlung für Bestellung {orderId} erhalten',
        heading: 'Zahlung erhalten',
        intro: 'Ihre Zahlung für Bestellung {orderId} ist eingegangen. Wir bereiten sie vor.',
      },
      'order-shipped': {
        subject: 'Bestellung {orderId} ist unterwegs',
        heading: 'Ihre Bestellung ist unterwegs',
        intro: 'Bestellung {orderId} wurde versandt.',
      },
      'order-delivered': {
        subject: 'Bestellung {orderId} wurde zugestellt',
        heading: 'Ihre Bestellung wurde zugestellt',
        intro: 'Bestellung {orderId} wurde zugestellt. Viel Freude damit!',
      },
      'order-cancelled': {
        subject: 'Bestellung {orderId} wurde storniert',
        heading: 'Ihre Bestellung wurde storniert',
        intro:
          'Bestellung {orderId} wurde storniert. Falls Sie bezahlt hatten, folgt die Erstattung in einer eigenen E-Mail.',
      },
      'order-refunded': {
        subject: 'Erstattung für Bestellung {orderId}',
        heading: 'Ihre Erstattung ist unterwegs',
        intro: 'Wir haben {amount} für Bestellung {orderId} auf Ihr ursprüngliches Zahlungsmittel erstattet.',
      },
    },
  },
};

/** The language of a BCP 47 tag (`de-AT` is German), English when there is none of ours. */
export function languageOf(tag: string | undefined): Language {
  const primary = (tag ?? '').split('-')[0]?.toLowerCase();
  return (LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as Language) : 'en';
}

/** A string with its `{name}` placeholders filled. */
export const fill = (text: string, values: Readonly<Record<string, string>>): string =>
  text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
