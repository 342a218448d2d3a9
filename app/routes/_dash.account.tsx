import {
  data,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { PASSWORD_MIN_LENGTH } from '~/auth/password.server';
import { changeOwnPassword, type UserErrorReason } from '~/auth/users.server';
import { CsrfInput } from '~/components/csrf-input';
import { Field } from '~/components/field';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError } from '~/errors';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'account.title');

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  return { passwordMin: PASSWORD_MIN_LENGTH };
}

const changeSchema = z.object({ current: z.string().max(1024), next: z.string().max(1024) });

type Failure = { error: UserErrorReason | 'bad_input' };

/** Any signed-in user changes their own password (checked, throttled and audited by the domain). */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'viewer');
  const input = changeSchema.safeParse(Object.fromEntries(form));
  if (!input.success) return data<Failure>({ error: 'bad_input' }, { status: 400 });
  try {
    await changeOwnPassword(context, user, input.data, context.clientIp);
  } catch (error) {
    if (!(error instanceof AppError) || typeof error.details?.reason !== 'string') throw error;
    const retry = error.details.retryAfterSeconds;
    return data<Failure>(
      { error: error.details.reason as UserErrorReason },
      { status: error.status, headers: typeof retry === 'number' ? { 'Retry-After': String(retry) } : undefined },
    );
  }
  return redirectWithFlash('/account', context, { kind: 'success', key: 'account.changed' });
}

// A refusal's Retry-After reaches document POSTs too.
export const headers: HeadersFunction = ({ actionHeaders, loaderHeaders }) =>
  actionHeaders.has('Retry-After') ? actionHeaders : loaderHeaders;

export default function Account() {
  const t = useT();
  const { passwordMin } = useLoaderData<typeof loader>();
  const failure = useActionData<Failure>();
  return (
    <>
      <PageHeader title={t('account.title')} description={t('account.intro')} />
      <section className="card">
        <Form method="post" className="stack" data-testid="change-password-form">
          <CsrfInput />
          <Field
            label={t('account.current')}
            name="current"
            type="password"
            autoComplete="current-password"
            required
            error={failure?.error === 'wrong_password' ? t('users.error.wrong_password') : undefined}
          />
          <Field
            label={t('account.new')}
            name="next"
            type="password"
            autoComplete="new-password"
            minLength={passwordMin}
            required
            hint={t('account.newHint', { min: passwordMin })}
            error={
              failure?.error === 'weak_password' ? t('users.error.weak_password', { min: passwordMin }) : undefined
            }
          />
          <SubmitButton pendingLabel={t('account.saving')}>{t('account.submit')}</SubmitButton>
        </Form>
        {failure && !['wrong_password', 'weak_password'].includes(failure.error) ? (
          <p className="form-error" role="alert">
            {t(`users.error.${failure.error}`, { min: passwordMin })}
          </p>
        ) : null}
      </section>
    </>
  );
}
