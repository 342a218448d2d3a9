import { formatDateTime, formatNumber } from '../i18n/format';
import type { Locale } from '../i18n/locale';
import { translate, type MessageKey } from '../i18n/messages';
import type { RuleName, Severity } from './rules';

/**
 * Turns what the outbox holds into what a channel sends: one incident, or a group (a storm) with
 * counts and the first few orders. Pure: the recipient's language, the display time zone and
 * formatted amounts come in, text and structures come out.
 */

/** The incident as it was when the outbox row was written. */
export type IncidentSnapshot = {
  incidentId: number;
  rule: RuleName;
  severity: Severity;
  storeId: number | null;
  storeSlug: string | null;
  storeName: string | null;
  subject: string;
  orderId: number | null;
  merchantUid: string | null;
  expectedAmount: number | null;
  paidAmount: number | null;
  currency: string | null;
  /** A sentence from the source (the reason's detail, the job's error). */
  detail: string | null;
  /** The measured value of a time rule (minutes, count, seconds…), with its threshold. */
  value: number | null;
  threshold: number | null;
  openedAt: string;
  at: string;
};

export type OutboxItem = { kind: 'opened' | 'reminder' | 'resolved' | 'test'; snapshot: IncidentSnapshot | null };

export type RenderedMessage = {
  subject: string;
  text: string;
  html: string;
  slack: { text: string; blocks: unknown[] };
  /** The JSON body of the signed webhook. */
  webhook: { type: string; timestamp: string; data: unknown };
};

/** How many orders a grouped message lists before "and N more". */
export const GROUP_LIST_LIMIT = 5;

const SEVERITY_MARK: Record<Severity, string> = { info: 'ℹ️', warning: '⚠️', critical: '🚨' };

export function formatMoney(locale: Locale, amount: number | null, currency: string | null): string {
  if (amount === null) return '—';
  const code = currency ?? 'KRW';
  try {
    return new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency: code }).format(
      amount,
    );
  } catch {
    return `${formatNumber(locale, amount)} ${code}`;
  }
}

function t(locale: Locale, key: string, params?: Record<string, string | number>): string {
  return translate(locale, key as MessageKey, params);
}

function time(locale: Locale, iso: string): string {
  return formatDateTime(locale, iso, { seconds: true });
}

export function incidentLink(base: string, s: IncidentSnapshot): string {
  return `${base}/alerts/incidents/${s.incidentId}`;
}

export function orderLink(base: string, s: IncidentSnapshot): string | null {
  return s.orderId === null ? null : `${base}/orders/${s.orderId}`;
}

function title(locale: Locale, item: OutboxItem): string {
  const s = item.snapshot;
  if (!s) return t(locale, 'alerts.msg.testTitle');
  const parts = [t(locale, `alerts.rule.${s.rule}`), s.storeName ?? t(locale, 'alerts.msg.system')];
  if (s.merchantUid) parts.push(s.merchantUid);
  const prefix = item.kind === 'opened' ? '' : `${t(locale, `alerts.msg.kind.${item.kind}`)}: `;
  return `${prefix}[${t(locale, `alerts.severity.${s.severity}`)}] ${parts.join(' · ')}`;
}

/** Label/value lines describing one incident. */
function facts(locale: Locale, s: IncidentSnapshot, base: string): [string, string][] {
  const rows: [string, string][] = [];
  rows.push([
    t(locale, 'alerts.msg.store'),
    s.storeName ? `${s.storeName} (${s.storeSlug})` : t(locale, 'alerts.msg.system'),
  ]);
  if (s.merchantUid) rows.push([t(locale, 'alerts.msg.order'), s.merchantUid]);
  if (s.expectedAmount !== null || s.paidAmount !== null) {
    rows.push([t(locale, 'alerts.msg.expected'), formatMoney(locale, s.expectedAmount, s.currency)]);
    rows.push([t(locale, 'alerts.msg.paid'), formatMoney(locale, s.paidAmount, s.currency)]);
  }
  if (s.value !== null)
    rows.push([
      t(locale, 'alerts.msg.value'),
      `${formatNumber(locale, s.value)} / ${formatNumber(locale, s.threshold ?? 0)}`,
    ]);
  if (s.detail) rows.push([t(locale, 'alerts.msg.detail'), s.detail]);
  rows.push([t(locale, 'alerts.msg.openedAt'), time(locale, s.openedAt)]);
  const order = orderLink(base, s);
  if (order) rows.push([t(locale, 'alerts.msg.orderLink'), order]);
  rows.push([t(locale, 'alerts.msg.incidentLink'), incidentLink(base, s)]);
  return rows;
}

const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Slack mrkdwn treats these three as control characters. */
const escapeSlack = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderMessage(input: {
  locale: Locale;
  base: string;
  items: OutboxItem[];
  channelName: string;
  now: string;
}): RenderedMessage {
  const { items } = input;
  const real = items.filter((i) => i.snapshot !== null);
  if (real.length === 0) return renderTest(input);
  if (items.length === 1) return renderSingle(input, items[0]!);
  return renderGroup(input);
}

function renderTest(input: { locale: Locale; base: string; channelName: string; now: string }): RenderedMessage {
  const { locale } = input;
  const subject = t(locale, 'alerts.msg.testTitle');
  const body = t(locale, 'alerts.msg.testBody', { channel: input.channelName, time: time(locale, input.now) });
  return {
    subject,
    text: `${body}\n${input.base}/alerts/channels\n`,
    html: `<p>${escapeHtml(body)}</p><p><a href="${escapeHtml(`${input.base}/alerts/channels`)}">${escapeHtml(`${input.base}/alerts/channels`)}</a></p>`,
    slack: {
      text: subject,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: subject } },
        { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(body) } },
      ],
    },
    webhook: { type: 'alert.test', timestamp: input.now, data: { channel: input.channelName } },
  };
}

function webhookIncident(item: OutboxItem, base: string) {
  const s = item.snapshot!;
  return {
    event: item.kind,
    incident_id: s.incidentId,
    rule: s.rule,
    severity: s.severity,
    store: s.storeSlug,
    subject: s.subject,
    order_id: s.orderId,
    merchant_uid: s.merchantUid,
    expected_amount: s.expectedAmount,
    paid_amount: s.paidAmount,
    currency: s.currency,
    detail: s.detail,
    value: s.value,
    threshold: s.threshold,
    opened_at: s.openedAt,
    at: s.at,
    order_url: orderLink(base, s),
    incident_url: incidentLink(base, s),
  };
}

function renderSingle(input: { locale: Locale; base: string; now: string }, item: OutboxItem): RenderedMessage {
  const { locale, base } = input;
  const s = item.snapshot!;
  const subject = title(locale, item);
  const help = t(locale, `alerts.ruleHelp.${s.rule}`);
  const rows = facts(locale, s, base);
  const text = [subject, '', help, '', ...rows.map(([k, v]) => `${k}: ${v}`), ''].join('\n');
  const html = [
    `<h2>${escapeHtml(subject)}</h2>`,
    `<p>${escapeHtml(help)}</p>`,
    '<table>',
    ...rows.map(([k, v]) => {
      const cell = /^https?:\/\//.test(v) ? `<a href="${escapeHtml(v)}">${escapeHtml(v)}</a>` : escapeHtml(v);
      return `<tr><th align="left">${escapeHtml(k)}</th><td>${cell}</td></tr>`;
    }),
    '</table>',
  ].join('\n');
  const order = orderLink(base, s);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${SEVERITY_MARK[s.severity]} ${subject}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(help) } },
    {
      type: 'section',
      fields: rows
        .filter(([, v]) => !/^https?:\/\//.test(v))
        .slice(0, 10)
        .map(([k, v]) => ({ type: 'mrkdwn', text: `*${escapeSlack(k)}*\n${escapeSlack(v)}` })),
    },
    {
      type: 'actions',
      elements: [
        ...(order
          ? [{ type: 'button', text: { type: 'plain_text', text: t(locale, 'alerts.msg.openOrder') }, url: order }]
          : []),
        {
          type: 'button',
          text: { type: 'plain_text', text: t(locale, 'alerts.msg.openIncident') },
          url: incidentLink(base, s),
        },
      ],
    },
  ];
  return {
    subject,
    text,
    html,
    slack: { text: subject, blocks },
    webhook: { type: `incident.${item.kind}`, timestamp: input.now, data: webhookIncident(item, base) },
  };
}

function renderGroup(input: { locale: Locale; base: string; items: OutboxItem[]; now: string }): RenderedMessage {
  const { locale, base, items } = input;
  const real = items.filter((i) => i.snapshot !== null);
  // Counts by kind and rule: "500 opened · Amount mismatch ×500".
  const byKind = new Map<string, number>();
  const byRule = new Map<string, number>();
  let worst: Severity = 'info';
  for (const item of real) {
    byKind.set(item.kind, (byKind.get(item.kind) ?? 0) + 1);
    const rule = item.snapshot!.rule;
    byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    if (SEVERITY_ORDER[item.snapshot!.severity] > SEVERITY_ORDER[worst]) worst = item.snapshot!.severity;
  }
  const kinds = [...byKind].map(([kind, n]) =>
    t(locale, `alerts.msg.count.${kind}`, { count: formatNumber(locale, n) }),
  );
  const rules = [...byRule].map(([rule, n]) => `${t(locale, `alerts.rule.${rule}`)} ×${formatNumber(locale, n)}`);
  const subject = `[${t(locale, `alerts.severity.${worst}`)}] ${t(locale, 'alerts.msg.groupTitle', { count: formatNumber(locale, real.length) })}: ${kinds.join(' · ')}`;
  const first = real.slice(0, GROUP_LIST_LIMIT).map((item) => {
    const s = item.snapshot!;
    const amounts =
      s.expectedAmount !== null || s.paidAmount !== null
        ? ` (${formatMoney(locale, s.expectedAmount, s.currency)} → ${formatMoney(locale, s.paidAmount, s.currency)})`
        : '';
    const what = [
      t(locale, `alerts.msg.kind.${item.kind}`),
      t(locale, `alerts.rule.${s.rule}`),
      s.storeName ?? '',
      s.merchantUid ?? s.subject,
    ]
      .filter(Boolean)
      .join(' · ');
    return { line: `${what}${amounts}`, url: orderLink(base, s) ?? incidentLink(base, s) };
  });
  const more = real.length - first.length;
  const moreLine = more > 0 ? t(locale, 'alerts.msg.andMore', { count: formatNumber(locale, more) }) : null;
  const listUrl = `${base}/alerts`;
  const text = [
    subject,
    '',
    rules.join('\n'),
    '',
    t(locale, 'alerts.msg.firstOrders'),
    ...first.map((f) => `- ${f.line} ${f.url}`),
    ...(moreLine ? [moreLine] : []),
    '',
    `${t(locale, 'alerts.msg.incidentsLink')}: ${listUrl}`,
    '',
  ].join('\n');
  const html = [
    `<h2>${escapeHtml(subject)}</h2>`,
    `<p>${rules.map(escapeHtml).join('<br>')}</p>`,
    `<p>${escapeHtml(t(locale, 'alerts.msg.firstOrders'))}</p><ul>`,
    ...first.map((f) => `<li><a href="${escapeHtml(f.url)}">${escapeHtml(f.line)}</a></li>`),
    '</ul>',
    moreLine ? `<p>${escapeHtml(moreLine)}</p>` : '',
    `<p><a href="${escapeHtml(listUrl)}">${escapeHtml(t(locale, 'alerts.msg.incidentsLink'))}</a></p>`,
  ].join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${SEVERITY_MARK[worst]} ${subject}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(rules.join('\n')) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `*${escapeSlack(t(locale, 'alerts.msg.firstOrders'))}*`,
          ...first.map((f) => `• <${f.url}|${escapeSlack(f.line)}>`),
          ...(moreLine ? [escapeSlack(moreLine)] : []),
        ].join('\n'),
      },
    },
    {
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: t(locale, 'alerts.msg.openIncidents') }, url: listUrl },
      ],
    },
  ];
  return {
    subject,
    text,
    html,
    slack: { text: subject, blocks },
    webhook: {
      type: 'incident.group',
      timestamp: input.now,
      data: {
        count: real.length,
        by_kind: Object.fromEntries(byKind),
        by_rule: Object.fromEntries(byRule),
        incidents: real.map((item) => webhookIncident(item, base)),
      },
    },
  };
}

const SEVERITY_ORDER: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
