import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { redirectWithFlash } from '~/auth/flash.server';
import { getOptionalUser, readProtectedForm } from '~/auth/guard.server';
import { clearSessionCookie, sessionIdOf } from '~/auth/session.server';
import { signOut } from '~/auth/users.server';

/** Signing out is a POST with the CSRF token (a GET cannot sign anyone out). */
export const loader = () => redirect('/');

export async function action({ request, context }: ActionFunctionArgs) {
  await readProtectedForm(request, context);
  const user = await getOptionalUser(request, context);
  await signOut(context, user, await sessionIdOf(request, context.config), context.clientIp);
  return redirectWithFlash(
    '/login',
    context,
    { kind: 'info', key: 'login.signedOut' },
    { headers: { 'Set-Cookie': await clearSessionCookie(context.config) } },
  );
}
