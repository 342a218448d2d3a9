import { Form, useLocation } from '@remix-run/react';
import { LOCALES } from '../i18n/locale';
import { useLocale, useT } from '../i18n/use-t';
import { CsrfInput } from './csrf-input';

/**
 * Two buttons, one per language, posting to /language (which sets the cookie and comes back
 * here). A full document submission: the next page renders in the new language from the server.
 */
export function LanguageSwitch() {
  const t = useT();
  const current = useLocale();
  const location = useLocation();
  return (
    <Form method="post" action="/language" reloadDocument className="language-switch" aria-label={t('shell.language')}>
      <CsrfInput />
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      {LOCALES.map((locale) => (
        <button
          key={locale}
          type="submit"
          name="locale"
          value={locale}
          className="btn btn-link"
          aria-pressed={locale === current}
          disabled={locale === current}
          lang={locale}
        >
          {t(`lang.${locale}`)}
        </button>
      ))}
    </Form>
  );
}
