import { Eta } from 'eta/core';
import { type EmailKind, fill, type Language, STRINGS } from './strings.ts';

/*
 * Every email is one layout (HTML and text) around one body template, rendered with Eta:
 * HTML-escaped by default (`<%= %>`), so a product name or display name can never become
 * markup; the text part is rendered by an instance that does not escape (it is not HTML).
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
<html lang="<%= it.language %>"><head><meta charset="utf-8"><title><%= it.subject %></title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:system-ui,sans-serif;color:#18181b">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px">
<%~ it.body %>
<p style="margin-top:32px;font-size:12px;color:#71717a"><%= it.footer %><% if (it.unsubscribeUrl) { %>
<a href="<%= it.unsubscribeUrl %>" style="color:#71717a"><%= it.unsubscribe %></a><% } %></p>
</div></body></html>`;

const BODY_HTML = `<% layout('@layout', it) %>
<h1 style="font-size:20px"><%= it.heading %></h1>
<p><%= it.intro %></p>
<% if (it.code) { %><p><%= it.codeLabel %>:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px"><%= it.code %></p><% } %>
<% if (it.order) { %><table style="width:100%;border-collapse:collapse">
<% it.order.lines.forEach(function (line) { %><tr><td><%= line.name %></td><td><%= it.quantity %> <%= line.quantity %></td><td style="text-align:right"><%= line.amount %></td></tr>
<% }) %><tr><td colspan="2"><strong><%= it.total %></strong></td><td style="text-align:right"><strong><%= it.order.total %></strong></td></tr>
</table><% } %>
<% if (it.outro) { %><p><%= it.outro %></p><% } %>`;

const BODY_TEXT = `<%= it.heading %>

<%= it.intro %>
<% if (it.code) { %>
<%= it.codeLabel %>: <%= it.code %>
<% } %><% if (it.order) { %>
<% it.order.lines.forEach(function (line) { %><%= line.quantity %> x <%= line.name %>: <%= line.amount %>
<% }) %><%= it.total %>: <%= it.order.total %>
<% } %><% if (it.outro) { %>
<%= it.outro %>
<% } %>
--
<%= it.footer %><% if (it.unsubscribeUrl) { %>
<%= it.unsubscribe %>: <%= it.unsubscribeUrl %><% } %>
`;

const html = new Eta({ autoEscape: true, autoTrim: false });
html.loadTemplate('@layout', LAYOUT_HTML);
html.loadTemplate('@body', BODY_HTML);
const text = new Eta({ autoEscape: false, autoTrim: false });
text.loadTemplate('@body', BODY_TEXT);

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
    quantity: strings.quantity,
    total: strings.total,
    footer: strings.footer,
    unsubscribe: strings.unsubscribe,
    unsubscribeUrl: content.unsubscribeUrl,
  };
  return { subject: data.subject, html: html.render('@body', data), text: text.render('@body', data) };
}
