import type { Flash } from '../../auth/flash';
import type { Refusal } from './manual-actions.server';

/** What a refusal says to the person who asked (the details a flash carries are plain text). */
const REFUSAL_DETAIL = {
  no_payment: 'this order has no payment at the gateway to cancel',
  nothing_left: 'nothing left to refund',
  not_open: 'nothing to resolve: the reason is no longer open',
} as const;

/**
 * The one translation of a manual action's refusal into a flash message, for the screen that
 * asked (the order page or the attention queue); the message catalog has a key per case.
 */
export function refusalFlash(refusal: Refusal, screen: 'order' | 'attention'): Flash {
  switch (refusal.refusal) {
    case 'invalid_note':
      return screen === 'order'
        ? { kind: 'error', key: 'order.error.noteRequired', params: { detail: refusal.detail.slice(0, 280) } }
        : { kind: 'error', key: 'attention.error.noteRequired' };
    case 'not_open':
      return screen === 'order'
        ? { kind: 'error', key: 'order.error.notOpen' }
        : { kind: 'error', key: 'attention.error.refused', params: { detail: REFUSAL_DETAIL.not_open } };
    case 'not_paid':
      return { kind: 'error', key: 'order.cancel.notPaid' };
    case 'no_payment':
    case 'nothing_left':
      return { kind: 'error', key: `${screen}.error.refused`, params: { detail: REFUSAL_DETAIL[refusal.refusal] } };
    case 'amount_out_of_range':
      return screen === 'order'
        ? { kind: 'error', key: 'order.cancel.tooMuch', params: { refundable: refusal.refundable } }
        : {
            kind: 'error',
            key: 'attention.error.refused',
            params: { detail: `amount must be between 1 and ${refusal.refundable}` },
          };
    case 'gateway':
      return screen === 'order'
        ? { kind: 'error', key: 'order.cancel.refused', params: { message: refusal.message.slice(0, 280) } }
        : { kind: 'error', key: 'attention.error.refused', params: { detail: refusal.message.slice(0, 280) } };
    case 'none_selected':
      return { kind: 'error', key: 'attention.error.noneSelected' };
    case 'too_many':
      return { kind: 'error', key: 'attention.error.tooMany', params: { max: refusal.max } };
  }
}
