import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireRole } from '~/auth/guard.server';
import { PASSWORD_MIN_LENGTH } from '~/auth/password.server';
import { ROLES } from '~/auth/roles';
import {
  changeUserRole,
  createUser,
  listUsers,
  resetUserPassword,
  revokeSessionsOf,
  setUserDisabled,
  unlockUser,
  type UserErrorReason,
  type UserRefusal,
} from '~/auth/users.server';
import { CsrfInput } from '~/components/csrf-input';
import { useDashUser } from '~/components/dash-shell';
import { EmptyState } from '~/components/empty-state';
import { Field, SelectField } from '~/components/field';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { formatDateTime } from '~/i18n/format';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'users.title');

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, 'admin');
  return { users: await listUsers(context), passwordMin: PASSWORD_MIN_LENGTH };
}

const userId = z.coerce.number().int().positive();
const intentSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('create'),
    email: z.string().max(320),
    role: z.enum(ROLES),
    password: z
      .string()
      .max(1024)
      .transform((v) => (v === '' ? null : v)),
  }),
  z.object({ intent: z.literal('role'), userId, role: z.enum(ROLES) }),
  z.object({ intent: z.literal('disable'), userId }),
  z.object({ intent: z.literal('enable'), userId }),
  z.object({ intent: z.literal('revoke'), userId }),
  z.object({ intent: z.literal('reset_password'), userId }),
  z.object({ intent: z.literal('unlock'), userId }),
]);

type CreateFailure = { intent: 'create'; error: UserErrorReason | 'bad_input'; email: string; role: string };
type CreateSuccess = { intent: 'created' | 'reset'; email: string; generatedPassword: string | null };

/** Admin only. One form per intent; every change is audited by the domain function. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'admin');
  const parsed = intentSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return data<CreateFailure>({ intent: 'create', error: 'bad_input', email: '', role: 'viewer' }, { status: 400 });
  }
  const input = parsed.data;
  const ip = context.clientIp;
  const refused = (r: UserRefusal) =>
    redirectWithFlash('/users', context, {
      kind: 'error',
      key: `users.error.${r.reason}`,
      params: { min: PASSWORD_MIN_LENGTH },
    });
  switch (input.intent) {
    case 'create': {
      const created = await createUser(
        context,
        user,
        { email: input.email, role: input.role, password: input.password },
        ip,
      );
      if (!created.ok)
        return data<CreateFailure>(
          { intent: 'create', error: created.reason, email: input.email, role: input.role },
          { status: created.status },
        );
      if (created.generatedPassword) {
        // Shown once in this response; never put in a cookie or a log.
        return data<CreateSuccess>({
          intent: 'created',
          email: created.user.email,
          generatedPassword: created.generatedPassword,
        });
      }
      return redirectWithFlash('/users', context, {
        kind: 'success',
        key: 'users.created',
        params: { email: created.user.email },
      });
    }
    case 'role': {
      const changed = await changeUserRole(context, user, input.userId, input.role, ip);
      if (!changed.ok) return refused(changed);
      return redirectWithFlash('/users', context, {
        kind: 'success',
        key: 'users.roleChanged',
        params: { email: changed.email, role: input.role },
      });
    }
    case 'disable':
    case 'enable': {
      const disabled = input.intent === 'disable';
      const changed = await setUserDisabled(context, user, input.userId, disabled, ip);
      if (!changed.ok) return refused(changed);
      return redirectWithFlash('/users', context, {
        kind: 'success',
        key: disabled ? 'users.disabledDone' : 'users.enabledDone',
        params: { email: changed.email },
      });
    }
    case 'revoke': {
      const revoked = await revokeSessionsOf(context, user, input.userId, ip);
      if (!revoked.ok) return refused(revoked);
      return redirectWithFlash('/users', context, {
        kind: 'success',
        key: 'users.revokedDone',
        params: { email: revoked.email, count: revoked.revoked },
      });
    }
    case 'reset_password': {
      // Shown once in this response, like a generated password at creation.
      const reset = await resetUserPassword(context, user, input.userId, ip);
      if (!reset.ok) return refused(reset);
      return data<CreateSuccess>({ intent: 'reset', email: reset.email, generatedPassword: reset.password });
    }
    case 'unlock': {
      const unlocked = await unlockUser(context, user, input.userId, ip);
      if (!unlocked.ok) return refused(unlocked);
      return redirectWithFlash('/users', context, {
        kind: 'success',
        key: 'users.unlockedDone',
        params: { email: unlocked.email },
      });
    }
  }
}

export default function Users() {
  const t = useT();
  const locale = useLocale();
  const me = useDashUser();
  const { users, passwordMin } = useLoaderData<typeof loader>();
  const result = useActionData<CreateFailure | CreateSuccess>();
  const failure = result?.intent === 'create' ? result : null;
  const created = result?.intent === 'created' || result?.intent === 'reset' ? result : null;
  const roleOptions = ROLES.map((role) => ({ value: role, label: t(`role.${role}`) }));
  // After a user is added, the form starts empty again (the next one is a different person).
  const createForm = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (created) createForm.current?.reset();
  }, [created]);

  return (
    <>
      <PageHeader title={t('users.title')} description={t('users.intro')} />

      {created?.generatedPassword ? (
        <section className="callout callout-warning" role="status" data-testid="generated-password">
          <h2>
            {t(created.intent === 'reset' ? 'users.resetTitle' : 'users.generatedTitle', { email: created.email })}
          </h2>
          <p>
            <code className="secret">{created.generatedPassword}</code>
          </p>
          <p className="small">{t(created.intent === 'reset' ? 'users.resetBody' : 'users.generatedBody')}</p>
        </section>
      ) : null}

      <section className="card">
        <h2>{t('users.createTitle')}</h2>
        <Form method="post" className="inline-form" data-testid="create-user-form" ref={createForm}>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <Field
            label={t('users.email')}
            name="email"
            type="email"
            required
            autoComplete="off"
            defaultValue={failure?.email}
            error={
              failure && (failure.error === 'invalid_email' || failure.error === 'email_taken')
                ? t(`users.error.${failure.error}`)
                : undefined
            }
          />
          <SelectField
            label={t('users.role')}
            name="role"
            defaultValue={failure?.role ?? 'viewer'}
            options={roleOptions}
          />
          <Field
            label={t('users.password')}
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={passwordMin}
            hint={t('users.passwordHint', { min: passwordMin })}
            error={
              failure?.error === 'weak_password' ? t('users.error.weak_password', { min: passwordMin }) : undefined
            }
          />
          <SubmitButton match={{ intent: 'create' }} pendingLabel={t('users.creating')}>
            {t('users.create')}
          </SubmitButton>
        </Form>
        {failure && !['invalid_email', 'email_taken', 'weak_password'].includes(failure.error) ? (
          <p className="form-error" role="alert">
            {t(`users.error.${failure.error}`, { min: passwordMin })}
          </p>
        ) : null}
      </section>

      {users.length === 0 ? (
        <EmptyState title={t('users.emptyTitle')}>{t('users.emptyBody')}</EmptyState>
      ) : (
        <table className="data-table" data-testid="users-table">
          <thead>
            <tr>
              <th>{t('users.colEmail')}</th>
              <th>{t('users.colRole')}</th>
              <th>{t('users.colStatus')}</th>
              <th>{t('users.colLastSignIn')}</th>
              <th className="num">{t('users.colSessions')}</th>
              <th>{t('users.colActions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const id = String(u.id);
              const isMe = me?.id === u.id;
              return (
                <tr key={u.id} data-testid={`user-row-${u.email}`} className={u.disabled ? 'row-muted' : undefined}>
                  <td>
                    {u.email} {isMe ? <span className="badge">{t('users.you')}</span> : null}
                  </td>
                  <td>
                    <Form method="post" className="row-form">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="role" />
                      <input type="hidden" name="userId" value={id} />
                      <select name="role" defaultValue={u.role} aria-label={t('users.colRole')}>
                        {roleOptions.map((o) => (
                          <option key={o.value} value={o.value}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                      <SubmitButton
                        variant="secondary"
                        match={{ intent: 'role', userId: id }}
                        pendingLabel={t('form.saving')}
                      >
                        {t('users.changeRole')}
                      </SubmitButton>
                    </Form>
                  </td>
                  <td>
                    <span className={`badge ${u.disabled ? 'badge-muted' : 'badge-ok'}`}>
                      {u.disabled ? t('users.disabled') : t('users.active')}
                    </span>
                    {u.throttled ? (
                      <>
                        {' '}
                        <span className="badge badge-warn" data-testid={`throttled-${u.email}`}>
                          {t('users.throttled')}
                        </span>
                      </>
                    ) : null}
                  </td>
                  <td>{u.lastSignInAt ? formatDateTime(locale, u.lastSignInAt) : t('users.never')}</td>
                  <td className="num">{u.activeSessions}</td>
                  <td className="actions">
                    <Form method="post" className="row-form">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="userId" value={id} />
                      <SubmitButton
                        variant="secondary"
                        match={{ intent: 'revoke', userId: id }}
                        pendingLabel={t('form.saving')}
                        disabled={u.activeSessions === 0}
                      >
                        {t('users.revoke')}
                      </SubmitButton>
                    </Form>
                    {u.throttled ? (
                      <Form method="post" className="row-form">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="unlock" />
                        <input type="hidden" name="userId" value={id} />
                        <SubmitButton
                          variant="secondary"
                          match={{ intent: 'unlock', userId: id }}
                          pendingLabel={t('form.saving')}
                        >
                          {t('users.unlock')}
                        </SubmitButton>
                      </Form>
                    ) : null}
                    {isMe ? null : (
                      <Form method="post" className="row-form">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="reset_password" />
                        <input type="hidden" name="userId" value={id} />
                        <SubmitButton
                          variant="secondary"
                          match={{ intent: 'reset_password', userId: id }}
                          pendingLabel={t('form.saving')}
                        >
                          {t('users.resetPassword')}
                        </SubmitButton>
                      </Form>
                    )}
                    {isMe ? null : (
                      <Form
                        method="post"
                        className="row-form"
                        onSubmit={(event) => {
                          // Disabling signs the person out everywhere: ask first.
                          if (!u.disabled && !window.confirm(t('users.disableConfirm', { email: u.email })))
                            event.preventDefault();
                        }}
                      >
                        <CsrfInput />
                        <input type="hidden" name="intent" value={u.disabled ? 'enable' : 'disable'} />
                        <input type="hidden" name="userId" value={id} />
                        <SubmitButton
                          variant={u.disabled ? 'secondary' : 'danger'}
                          match={{ intent: u.disabled ? 'enable' : 'disable', userId: id }}
                          pendingLabel={t('form.saving')}
                        >
                          {u.disabled ? t('users.enable') : t('users.disable')}
                        </SubmitButton>
                      </Form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
