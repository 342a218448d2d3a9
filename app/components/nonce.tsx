import { createContext, useContext } from 'react';

/**
 * The CSP nonce of the current document. Set by app/entry.server.tsx on the server; in the
 * browser it is empty (browsers hide nonces from the DOM, and scripts added after hydration are
 * bundles, allowed by 'self').
 */
const NonceContext = createContext('');

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
