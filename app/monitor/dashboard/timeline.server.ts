import type { Db } from '../../../db/connection';
import { loadTimelineRows } from '../../../db/timeline';

export type TimelineEntry =
  | {
      kind: 'redirect_hit';
      at: string;
      id: number;
      ip: string;
      userAgent: string | null;
      queryString: string;
      flagKind: string;
      flagValue: string | null;
      parseError: string | null;
      errorCode: string | null;
      errorMsg: string | null;
    }
  | {
      kind: 'webhook_delivery';
      at: string;
      id: number;
      ip: string;
      ipListed: boolean;
      contentType: string | null;
      headers: [string, string][];
      body: string;
      answerStatus: number;
      parseError: string | null;
      status: string | null;
      duplicateOf: number | null;
    }
  | {
      kind: 'gateway_check';
      at: string;
      id: number;
      trigger: string;
      operation: string;
      ok: boolean;
      httpStatus: number | null;
      latencyMs: number;
      error: string | null;
      rawJson: string | null;
    }
  | {
      kind: 'verification';
      at: string;
      id: number;
      trigger: string;
      outcome: string;
      statusBefore: string;
      statusAfter: string;
      expectedAmount: number | null;
      paidAmount: number | null;
      currency: string | null;
      opened: string[];
      resolved: string[];
    }
  | { kind: 'reason_opened'; at: string; id: number; reason: string; detail: string | null }
  | { kind: 'reason_resolved'; at: string; id: number; reason: string; by: string | null; note: string | null };

const ORDER: Record<TimelineEntry['kind'], number> = {
  redirect_hit: 0,
  webhook_delivery: 0,
  gateway_check: 1,
  verification: 2,
  reason_opened: 3,
  reason_resolved: 4,
};

/** The order's story for ops: every piece of evidence and every decision, oldest first. */
export async function orderTimeline(deps: { db: Db }, orderId: number): Promise<TimelineEntry[]> {
  const rows = await loadTimelineRows(deps.db, orderId);
  const entries: TimelineEntry[] = [
    ...rows.redirectHits.map((h) => ({
      kind: 'redirect_hit' as const,
      at: h.received_at,
      id: h.id,
      ip: h.ip,
      userAgent: h.user_agent,
      queryString: h.query_string,
      flagKind: h.flag_kind,
      flagValue: h.flag_value,
      parseError: h.parse_error,
      errorCode: h.error_code,
      errorMsg: h.error_msg,
    })),
    ...rows.webhookDeliveries.map((d) => ({
      kind: 'webhook_delivery' as const,
      at: d.received_at,
      id: d.id,
      ip: d.source_ip,
      ipListed: d.ip_listed === 1,
      contentType: d.content_type,
      headers: JSON.parse(d.headers_json) as [string, string][],
      body: d.body_text,
      answerStatus: d.answer_status,
      parseError: d.parse_error,
      status: d.status,
      duplicateOf: d.duplicate_of,
    })),
    ...rows.gatewayChecks.map((c) => ({
      kind: 'gateway_check' as const,
      at: c.checked_at,
      id: c.id,
      trigger: c.trigger,
      operation: c.operation,
      ok: c.ok === 1,
      httpStatus: c.http_status,
      latencyMs: c.latency_ms,
      error: c.error_message,
      rawJson: c.raw_json,
    })),
    ...rows.verifications.map((v) => ({
      kind: 'verification' as const,
      at: v.decided_at,
      id: v.id,
      trigger: v.trigger,
      outcome: v.outcome,
      statusBefore: v.status_before,
      statusAfter: v.status_after,
      expectedAmount: v.expected_amount,
      paidAmount: v.paid_amount,
      currency: v.currency,
      opened: JSON.parse(v.reasons_opened) as string[],
      resolved: JSON.parse(v.reasons_resolved) as string[],
    })),
    ...rows.reasons.map((r) => ({
      kind: 'reason_opened' as const,
      at: r.opened_at,
      id: r.id,
      reason: r.reason,
      detail: r.detail,
    })),
    ...rows.reasons
      .filter((r) => r.resolved_at !== null)
      .map((r) => ({
        kind: 'reason_resolved' as const,
        at: r.resolved_at!,
        id: r.id,
        reason: r.reason,
        by: r.resolved_by,
        note: r.resolution_note,
      })),
  ];
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : ORDER[a.kind] - ORDER[b.kind] || a.id - b.id));
}
