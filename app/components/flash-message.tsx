import { useEffect, useState } from 'react';
import { useT } from '../i18n/use-t';
import { useShellData } from './shell-data';

/** The flash left by the last action (success, error or info), dismissible. */
export function FlashMessage() {
  const { flash } = useShellData();
  const t = useT();
  const [dismissed, setDismissed] = useState(false);
  // A new flash (after another action) shows again.
  useEffect(() => setDismissed(false), [flash]);
  if (!flash || dismissed) return null;
  return (
    <div className={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'} data-testid="flash">
      <span>{t(flash.key, flash.params)}</span>
      <button
        type="button"
        className="flash-dismiss"
        onClick={() => setDismissed(true)}
        aria-label={t('flash.dismiss')}
      >
        ×
      </button>
    </div>
  );
}
