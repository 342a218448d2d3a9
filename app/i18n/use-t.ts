import { useCallback } from 'react';
import { useShellData } from '../components/shell-data';
import type { Locale } from './locale';
import { translate, type MessageKey, type MessageParams } from './messages';

export type TFunction = (key: MessageKey, params?: MessageParams) => string;

export function useLocale(): Locale {
  return useShellData().locale;
}

/** `const t = useT(); t('nav.overview')` — the message in the visitor's language. */
export function useT(): TFunction {
  const locale = useLocale();
  return useCallback((key: MessageKey, params?: MessageParams) => translate(locale, key, params), [locale]);
}
