import type { MessageKey, MessageParams } from '../i18n/messages';

/** A message for the next page (see flash.server.ts): a catalog key, so it shows in the reader's language. */
export type FlashKind = 'success' | 'error' | 'info';
export type Flash = { kind: FlashKind; key: MessageKey; params?: MessageParams };
