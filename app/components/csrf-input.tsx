import { useShellData } from './shell-data';

/** The hidden CSRF field every state-changing form carries (checked by authorizeAction/readProtectedForm). */
export function CsrfInput() {
  return <input type="hidden" name="_csrf" value={useShellData().csrfToken} />;
}
