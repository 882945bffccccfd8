import Mustache from 'mustache';
import { type EmailKind, fill, type Language, STRINGS } from './strings.ts';

/*
 * Every email is one layout (HTML and text) around one body template, rendered with Mustache
 * (logic-less, 7 KB, no dependencies): `{{value}}` is HTML-escaped, so a product name or display
 * name can never become markup; the text part is rendered without escaping (it is not HTML).
 */

/** What an email says, in its reader's language; strings only, escaped by the templates. */
export interface EmailContent {
  readonly kind: EmailKind;
  readonly language: Language;
  /** `{name}` values of the kind's strings (orderId, amount). */
  readonly values?: Readonly<Record<string, string>>;
  readonly code?: string;
  readonly order?: {
    readonly lines: readonly { readonly name: string; readonly quantity: number; readonly amount: string }[];
    readonly total: string;
  };
  /** The one-click unsubscribe URL (non-essential mail only). */
  readonly unsubscribeUrl?: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

const LAYOUT_HTML = `<!doctype html>
<html lang="{{language}}"><head><meta charset="utf-8"><title>{{subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:system-ui,sans-serif;color:#18181b">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px">
{{> body}}
<p style="margin-top:32px;font-size:12px;color:#71717a">{{footer}}{{#unsubscribeUrl}}
<a href="{{unsubscribeUrl}}" style="color:#71717a">{{unsubscribe}}</a>{{/unsubscribeUrl}}</p>
</div></body></html>`;

const BODY_HTML = `<h1 style="font-size:20px">{{heading}}</h1>
<p>{{intro}}</p>
{{#code}}<p>{{codeLabel}}:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px">{{code}}</p>{{/code}}
{{#order}}<table style="width:100%;border-collapse:collapse">
{{#lines}}<tr><td>{{name}}</td><td>{{quantityLabel}} {{quantity}}</td><td style="text-align:right">{{amount}}</td></tr>
{{/lines}}<tr><td colspan="2"><strong>{{totalLabel}}</strong></td><td style="text-align:right"><strong>{{total}}</strong></td></tr>
</table>{{/order}}
{{#outro}}<p>{{outro}}</p>{{/outro}}`;

const LAYOUT_TEXT = `{{> body}}
--
{{footer}}{{#unsubscribeUrl}}
{{unsubscribe}}: {{unsubscribeUrl}}{{/unsubscribeUrl}}
`;

const BODY_TEXT = `{{heading}}

{{intro}}
{{#code}}

{{codeLabel}}: {{code}}
{{/code}}
{{#order}}

{{#lines}}{{quantity}} x {{name}}: {{amount}}
{{/lines}}{{totalLabel}}: {{total}}
{{/order}}
{{#outro}}

{{outro}}
{{/outro}}
`;

/** Text is not HTML: nothing to escape. */
const verbatim = (value: unknown): string => String(value);

/** Subject, HTML and text of an email. */
export function renderEmail(content: EmailContent): RenderedEmail {
  const strings = STRINGS[content.language];
  const kind = strings.kinds[content.kind];
  const values = content.values ?? {};
  const data = {
    language: content.language,
    subject: fill(kind.subject, values),
    heading: fill(kind.heading, values),
    intro: fill(kind.intro, values),
    outro: kind.outro ? fill(kind.outro, values) : undefined,
    code: content.code,
    codeLabel: strings.codeLabel,
    order: content.order,
    quantityLabel: strings.quantity,
    totalLabel: strings.total,
    footer: strings.footer,
    unsubscribe: strings.unsubscribe,
    unsubscribeUrl: content.unsubscribeUrl,
  };
  return {
    subject: data.subject,
    html: Mustache.render(LAYOUT_HTML, data, { body: BODY_HTML }),
    text: Mustache.render(LAYOUT_TEXT, data, { body: BODY_TEXT }, { escape: verbatim }),
  };
}
