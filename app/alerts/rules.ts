/**
 * The built-in alert rules: what each watches, how severe it is, its default threshold and unit,
 * and whether it is on for a store that never changed it. Pure data; the rule engine
 * (incidents.server.ts) and the time-based evaluation (evaluate.server.ts) read it.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** True when `severity` is `min` or more severe. */
export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
}

export type RuleUnit = 'none' | 'minutes' | 'seconds' | 'count' | 'megabytes' | 'percent';

export type RuleDefinition = {
  severity: Severity;
  /** How the rule hears about things: a ledger event, a job result, or the scheduled evaluation. */
  source: 'ledger' | 'job' | 'time';
  /** Per store, or one for the whole installation (kept on every store's settings, read from any). */
  scope: 'store' | 'system';
  defaultEnabled: boolean;
  unit: RuleUnit;
  defaultThreshold: number | null;
};

export const RULES = {
  // A reason opened that needs a person now.
  amount_mismatch: rule('critical', 'ledger', true, 'none', null),
  late_change: rule('critical', 'ledger', true, 'none', null),
  orphan_payment: rule('warning', 'ledger', true, 'none', null),
  vbank_overdue: rule('warning', 'ledger', true, 'none', null),
  // Age and backlog.
  reason_age: rule('warning', 'time', true, 'minutes', 60),
  backlog: rule('warning', 'time', true, 'count', 100),
  // Silence.
  webhook_silence: rule('warning', 'time', true, 'minutes', 30),
  /** No webhook at all during the business window (09:00-21:00 display time) for N minutes. */
  webhook_none_in_window: rule('info', 'time', false, 'minutes', 180),
  // The gateway.
  breaker_open: rule('warning', 'job', true, 'none', null),
  credentials_refused: rule('critical', 'job', true, 'none', null),
  run_failed: rule('warning', 'job', true, 'none', null),
  verification_lag: rule('warning', 'time', true, 'seconds', 300),
  // The system.
  retention_failed: { ...rule('warning', 'job', true, 'none', null), scope: 'system' },
  db_size: { ...rule('warning', 'time', true, 'megabytes', 10_240), scope: 'system' },
  disk_usage: { ...rule('critical', 'time', true, 'percent', 90), scope: 'system' },
} satisfies Record<string, RuleDefinition>;

export type RuleName = keyof typeof RULES;
export const RULE_NAMES = Object.keys(RULES) as RuleName[];

export function isRuleName(value: unknown): value is RuleName {
  return typeof value === 'string' && Object.hasOwn(RULES, value);
}

export function ruleDefinition(name: RuleName): RuleDefinition {
  return RULES[name];
}

function rule(
  severity: Severity,
  source: RuleDefinition['source'],
  defaultEnabled: boolean,
  unit: RuleUnit,
  defaultThreshold: number | null,
): RuleDefinition {
  return { severity, source, scope: 'store', defaultEnabled, unit, defaultThreshold };
}

/** Reminders while an incident stays open and unacknowledged. */
export const DEFAULT_REMINDER_MINUTES = 60;

/** Business window of `webhook_none_in_window`, in hours of the display time zone. */
export const BUSINESS_WINDOW = { fromHour: 9, toHour: 21 } as const;

/** A store's effective setting of one rule. */
export type RuleSetting = { rule: RuleName; enabled: boolean; threshold: number | null; reminderMinutes: number };

export function effectiveSetting(
  name: RuleName,
  row: { enabled: number; threshold: number | null; reminder_minutes: number | null } | undefined,
): RuleSetting {
  const def = RULES[name];
  return {
    rule: name,
    enabled: row ? row.enabled === 1 : def.defaultEnabled,
    threshold: row?.threshold ?? def.defaultThreshold,
    reminderMinutes: row?.reminder_minutes ?? DEFAULT_REMINDER_MINUTES,
  };
}

/** Exponential backoff of a failed delivery: 10 s, 20 s, 40 s … capped at one hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** After this many failed attempts a message is given up (about a day of trying). */
export const MAX_ATTEMPTS = 30;
