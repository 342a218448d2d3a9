import { isMessageKey, type MessageKey } from '../i18n/messages';
import { formatAmount, formatDateTime } from '../i18n/format';
import { useLocale, useT } from '../i18n/use-t';

/** Small pieces shared by the payment log, the order page and the attention queue. */

const STATUS_TONE: Record<string, string> = {
  paid: 'ok',
  vbank_issued: 'info',
  pending: 'muted',
  failed: 'muted',
  cancelled: 'muted',
  partially_cancelled: 'warn',
  mismatch: 'danger',
};

export function StatusBadge({ status }: { status: string }) {
  const t = useT();
  return (
    <span className={`badge badge-status badge-tone-${STATUS_TONE[status] ?? 'muted'}`} data-status={status}>
      {t(`status.${status}` as MessageKey)}
    </span>
  );
}

export function ReasonBadge({ reason, resolved = false }: { reason: string; resolved?: boolean }) {
  const t = useT();
  return (
    <span
      className={`badge badge-reason${resolved ? ' badge-muted' : ''}`}
      data-reason={reason}
      title={t(`reason.${reason}.help` as MessageKey)}
    >
      {t(`reason.${reason}` as MessageKey)}
    </span>
  );
}

/** `15,000원` / `KRW 15,000`; `—` for null. Integers only (DESIGN: money is an integer plus a currency). */
export function Money({ amount, currency }: { amount: number | null; currency: string }) {
  const locale = useLocale();
  if (amount === null) return <span className="muted">—</span>;
  return (
    <span className="money" data-amount={amount}>
      {formatAmount(locale, amount, currency)}
    </span>
  );
}

/** A time in the display zone, with the stored UTC value as a machine-readable attribute (`zone`: name the zone; tables say it once). */
export function Time({ iso, seconds = false, zone = true }: { iso: string | null; seconds?: boolean; zone?: boolean }) {
  const locale = useLocale();
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={`${iso} (UTC)`}>
      {formatDateTime(locale, iso, { seconds, zone })}
    </time>
  );
}

/** A pay method by its name (`가상계좌`, `Card`); a code the catalog does not know is shown as sent. */
export function payMethodLabel(t: (key: MessageKey) => string, code: string | null): string {
  if (!code) return '—';
  const key = `payMethod.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

export function PayMethod({ code }: { code: string | null }) {
  const t = useT();
  return (
    <span data-pay-method={code ?? ''} title={code ?? undefined}>
      {payMethodLabel(t, code)}
    </span>
  );
}
