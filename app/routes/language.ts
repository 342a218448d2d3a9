import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { readProtectedForm, safeRedirectTo } from '~/auth/guard.server';
import { AppError, errorResponse } from '~/errors';
import { isLocale } from '~/i18n/locale';
import { localeCookie } from '~/i18n/locale.server';

/** The language switch: remembers the choice in a cookie and goes back to the page it came from. */
export const loader = () => redirect('/');

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readProtectedForm(request, context);
  const locale = form.get('locale');
  if (!isLocale(locale)) throw errorResponse(new AppError('bad_request', 'locale must be en or ko'));
  return redirect(safeRedirectTo(form.get('redirectTo')), {
    status: 303,
    headers: { 'Set-Cookie': await localeCookie(context.config, locale) },
  });
}
