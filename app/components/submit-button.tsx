import { useNavigation } from '@remix-run/react';
import type { ButtonHTMLAttributes, ReactNode } from 'react';

type Props = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & {
  children: ReactNode;
  /** Shown (and the button disabled) while this button's form is being submitted. */
  pendingLabel?: ReactNode;
  /**
   * Fields that identify this button's submission among several forms on a page, e.g.
   * `{ intent: 'disable', userId: '3' }`. Defaults to the button's own name/value when given.
   */
  match?: Record<string, string>;
  variant?: 'primary' | 'secondary' | 'danger' | 'link';
};

/** A submit button that shows a pending state while its submission is in flight (useNavigation). */
export function SubmitButton({
  children,
  pendingLabel,
  match,
  variant = 'primary',
  className,
  disabled,
  ...rest
}: Props) {
  const navigation = useNavigation();
  const fields =
    match ?? (typeof rest.name === 'string' && rest.value !== undefined ? { [rest.name]: String(rest.value) } : {});
  const pending =
    navigation.state === 'submitting' &&
    navigation.formData !== undefined &&
    Object.entries(fields).every(([key, value]) => navigation.formData!.get(key) === value);
  return (
    <button
      type="submit"
      className={['btn', `btn-${variant}`, className].filter(Boolean).join(' ')}
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      {...rest}
    >
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  );
}
