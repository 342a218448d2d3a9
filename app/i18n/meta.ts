import { translate, type MessageKey } from './messages';
import { DEFAULT_LOCALE, isLocale } from './locale';

type Match = { id: string; data: unknown };

/**
 * A page's <title> in the visitor's language: `export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'users.title');`
 */
export function pageMeta(matches: readonly Match[], key: MessageKey): { title: string }[] {
  const root = matches.find((m) => m.id === 'root')?.data as { locale?: unknown } | undefined;
  const locale = isLocale(root?.locale) ? root.locale : DEFAULT_LOCALE;
  return [{ title: `${translate(locale, key)} · ${translate(locale, 'app.name')}` }];
}
