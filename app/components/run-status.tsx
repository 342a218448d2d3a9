import type { MessageKey } from '~/i18n/messages';
import { useT } from '~/i18n/use-t';

/** How the runs screens show a run's duration and status (the list and one run's page). */

export function durationText(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const TONES: Record<string, { background: string; color: string } | undefined> = {
  failed: { background: 'var(--danger-bg)', color: 'var(--danger)' },
  running: { background: 'var(--info-bg)', color: 'var(--accent)' },
  skipped: { background: 'var(--warn-bg)', color: 'var(--warn)' },
};

export function RunStatusBadge({ status }: { status: string }) {
  const t = useT();
  return (
    <span className={`badge${status === 'ok' ? ' badge-ok' : ''}`} style={TONES[status]} data-status={status}>
      {t(`runs.status.${status}` as MessageKey)}
    </span>
  );
}
