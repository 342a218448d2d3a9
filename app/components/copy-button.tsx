import { useEffect, useRef, useState } from 'react';
import { useT } from '../i18n/use-t';

type CopyState = 'idle' | 'copied' | 'failed';

/** Copies text: the clipboard API where the page may use it, else a selected hidden field. */
async function copyText(value: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = value;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/**
 * A copy button that says what happened: "Copied" for two seconds, or that copying failed and the
 * text should be selected by hand (plain http pages may refuse the clipboard). The announcement is
 * in a live region, so a screen reader hears it too.
 */
export function CopyButton({ value, testId, label }: { value: string; testId?: string; label?: string }) {
  const t = useT();
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => (timer.current ? clearTimeout(timer.current) : undefined), []);
  const copy = async () => {
    const ok = await copyText(value);
    setState(ok ? 'copied' : 'failed');
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), ok ? 2000 : 5000);
  };
  return (
    <span className="copy">
      <button
        type="button"
        className="btn btn-secondary btn-small"
        onClick={() => void copy()}
        data-testid={testId}
        data-state={state}
        aria-label={label ? `${t('copy.copy')}: ${label}` : undefined}
      >
        {state === 'copied' ? `✓ ${t('copy.copied')}` : t('copy.copy')}
      </button>
      <span className={`copy-status small${state === 'failed' ? ' error' : ''}`} role="status" aria-live="polite">
        {state === 'failed' ? t('copy.failed') : ''}
      </span>
    </span>
  );
}
