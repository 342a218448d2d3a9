import {
  data,
  redirect,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { getOptionalUser, readProtectedForm, safeRedirectTo } from '~/auth/guard.server';
import { sessionIdOf } from '~/auth/session.server';
import { signIn } from '~/auth/users.server';
import { CsrfInput } from '~/components/csrf-input';
import { Field } from '~/components/field';
import { FlashMessage } from '~/components/flash-message';
import { LanguageSwitch } from '~/components/language-switch';
import { SubmitButton } from '~/components/submit-button';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'login.title');

export async function loader({ request, context }: LoaderFunctionArgs) {
  const redirectTo = safeRedirectTo(new URL(request.url).searchParams.get('redirectTo'));
  if (await getOptionalUser(request, context)) throw redirect(redirectTo);
  return { redirectTo };
}

const loginSchema = z.object({
  email: z.string().max(320).default(''),
  password: z.string().max(1024).default(''),
  redirectTo: z.string().max(2048).optional(),
});

type LoginError = { error: 'invalid' | 'throttled' | 'busy'; email: string; minutes?: number };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readProtectedForm(request, context);
  const input = loginSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return data<LoginError>({ error: 'invalid', email: '' }, { status: 400 });
  const { email, password } = input.data;
  // Sanitised before anything happens: an off-site or unencodable value must never fail after the
  // session has been created.
  const redirectTo = safeRedirectTo(input.data.redirectTo);
  const result = await signIn(context, {
    email,
    password,
    ip: context.clientIp,
    userAgent: request.headers.get('user-agent'),
    previousSessionId: await sessionIdOf(request, context.config),
  });
  switch (result.kind) {
    case 'signed_in':
      return redirect(redirectTo, { status: 303, headers: { 'Set-Cookie': result.setCookie } });
    case 'invalid':
      return data<LoginError>({ error: 'invalid', email }, { status: 401 });
    case 'throttled':
      return data<LoginError>(
        {
          error: result.scope === 'busy' ? 'busy' : 'throttled',
          email,
          minutes: Math.ceil(result.retryAfterSeconds / 60),
        },
        { status: 429, headers: { 'Retry-After': String(result.retryAfterSeconds) } },
      );
  }
}

// Document POSTs (no JavaScript) get the action's Retry-After too, not only fetches.
export const headers: HeadersFunction = ({ actionHeaders, loaderHeaders }) =>
  actionHeaders.has('Retry-After') ? actionHeaders : loaderHeaders;

export default function Login() {
  const t = useT();
  const { redirectTo } = useLoaderData<typeof loader>();
  const failed = useActionData<LoginError>();
  return (
    <main className="page login-page">
      <header className="login-header">
        <h1>{t('app.name')}</h1>
        <LanguageSwitch />
      </header>
      <p className="muted">{t('app.tagline')}</p>
      <section className="card login-card">
        <h2>{t('login.title')}</h2>
        <FlashMessage />
        {failed ? (
          <p className="form-error" role="alert" data-testid="login-error">
            {failed.error === 'throttled'
              ? t('login.throttled', { minutes: failed.minutes ?? 15 })
              : failed.error === 'busy'
                ? t('login.busy')
                : t('login.invalid')}
          </p>
        ) : null}
        <Form method="post" className="stack">
          <CsrfInput />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <Field
            label={t('login.email')}
            name="email"
            type="email"
            autoComplete="username"
            required
            defaultValue={failed?.email}
            autoFocus
          />
          <Field label={t('login.password')} name="password" type="password" autoComplete="current-password" required />
          <SubmitButton pendingLabel={t('login.submitting')}>{t('login.submit')}</SubmitButton>
        </Form>
        <p className="muted small">{t('login.intro')}</p>
      </section>
      <p className="muted small">{t('login.firstAdminHint')}</p>
    </main>
  );
}
