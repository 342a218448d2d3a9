/**
 * Sample payloads shaped after the reference (docs at /work/shared/reference/iamport-v1.md):
 * the documented token sample (§1.1), a live card payment as captured (every key, vbank_* null,
 * 0 for absent times, §4), a vbank `ready`, a partial cancel, a USD payment, paged and 207 shapes.
 */

/** §1.1 documentation sample, verbatim values. */
export const tokenSample = {
  code: 0,
  message: null,
  response: { access_token: 'a9ace025c90c0da2161075da6ddd3492a2fca776', now: 1512446940, expired_at: 1512448740 },
};

/** A live KRW card payment as the real API emits it: alphabetical keys, every field present. */
export const liveCardPayment = {
  amount: 1000,
  apply_num: '30017293',
  bank_code: null,
  bank_name: null,
  buyer_addr: '서울특별시 강남구 삼성동',
  buyer_email: 'buyer@example.com',
  buyer_name: '홍길동',
  buyer_postcode: '06018',
  buyer_tel: '010-1234-5678',
  cancel_amount: 0,
  cancel_history: [],
  cancel_reason: null,
  cancel_receipt_urls: [],
  cancelled_at: 0,
  card_code: '361',
  card_issuer_code: null,
  card_issuer_name: null,
  card_name: 'BC카드',
  card_number: '910020*********6',
  card_publisher_code: null,
  card_publisher_name: null,
  card_quota: 0,
  card_type: 0,
  cash_receipt_issued: false,
  channel: 'pc',
  currency: 'KRW',
  custom_data: '{"order":"A-1"}',
  customer_uid: null,
  customer_uid_usage: null,
  deposit_history: [],
  emb_pg_provider: null,
  escrow: false,
  fail_reason: null,
  failed_at: 0,
  imp_uid: 'imp_448280090638',
  merchant_uid: 'merchant_1512446906',
  name: '주문명:결제테스트',
  paid_at: 1512446940,
  pay_method: 'card',
  pg_id: 'INIpayTest',
  pg_provider: 'html5_inicis',
  pg_tid: 'StdpayCARDINIpayTest20171205130832123456',
  promotion: null,
  receipt_url: 'https://iniweb.inicis.com/DefaultWebApp/mall/cr/cm/mCmReceipt_head.jsp?noTid=StdpayCARD',
  sandbox: false,
  started_at: 1512446907,
  status: 'paid',
  user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
  vbank_code: null,
  vbank_date: 0,
  vbank_holder: null,
  vbank_issued_at: 0,
  vbank_name: null,
  vbank_num: null,
};

/** An API (billing) payment: the other captured shape, with card_type null and no user agent. */
export const apiPayment = {
  ...liveCardPayment,
  imp_uid: 'imp_803037736674',
  merchant_uid: 'billing-20171205-1',
  channel: 'api',
  card_code: null,
  card_quota: 0,
  card_type: null,
  user_agent: null,
  receipt_url: null,
};

/** A virtual account issued and not yet funded. */
export const vbankReady = {
  ...liveCardPayment,
  imp_uid: 'imp_100000000002',
  merchant_uid: 'order-vbank',
  pay_method: 'vbank',
  status: 'ready',
  paid_at: 0,
  apply_num: null,
  card_code: null,
  card_name: null,
  card_number: null,
  card_type: null,
  vbank_code: '004',
  vbank_name: 'KB국민은행',
  vbank_num: '123-456-7890',
  vbank_holder: '(주)테스트상점',
  vbank_date: 1512533340,
  vbank_issued_at: 1512446940,
};

/** A partial refund: status `cancelled` while amount > cancel_amount (reference §3.8). */
export const partiallyCancelled = {
  ...liveCardPayment,
  imp_uid: 'imp_100000000003',
  status: 'cancelled',
  amount: 10000,
  cancel_amount: 3000,
  cancelled_at: 1512450000,
  cancel_reason: '부분 환불',
  cancel_receipt_urls: ['https://example.com/cancel-receipt/1'],
  cancel_history: [
    {
      pg_tid: 'StdpayCARDINIpayTest-cancel-1',
      amount: 3000,
      cancelled_at: 1512450000,
      reason: '부분 환불',
      cancellation_id: 'cancel_1',
      receipt_url: 'https://example.com/cancel-receipt/1',
    },
  ],
};

/** The 2022 capture of a full cancel: a history item without `cancellation_id`. */
export const cancelled2022 = {
  ...liveCardPayment,
  imp_uid: 'imp_100000000004',
  status: 'cancelled',
  cancel_amount: 1000,
  cancelled_at: 1650000000,
  cancel_reason: '고객 요청',
  cancel_history: [
    { pg_tid: 'kcp-cancel-1', amount: 1000, cancelled_at: 1650000000, reason: '고객 요청', receipt_url: null },
  ],
};

/** A USD payment: the gateway's amounts are major units. */
export const usdPayment = {
  ...liveCardPayment,
  imp_uid: 'imp_100000000005',
  pg_provider: 'paypal_v2',
  pay_method: 'paypal',
  currency: 'USD',
  amount: 19.99,
  cancel_amount: 0.1,
  cancel_history: [
    {
      pg_tid: 'pp-1',
      amount: 0.1,
      cancelled_at: 1512450000,
      reason: 'partial',
      cancellation_id: 'c-1',
      receipt_url: null,
    },
  ],
};

export const envelope = (response: unknown, code = 0, message: string | null = null) => ({ code, message, response });

export const pagedSample = {
  code: 0,
  message: null,
  response: { total: 3, previous: 0, next: 2, list: [liveCardPayment, vbankReady] },
};

/** GET /payments with three ids, one unknown: 207 and only the found ones. */
export const multi207Sample = { code: 0, message: null, response: [liveCardPayment, vbankReady] };

export const notFound404 = { code: -1, message: '존재하지 않는 결제정보입니다.', response: null };
export const cancelRefused200 = { code: 1, message: '취소할 결제건이 존재하지 않습니다.', response: null };
export const prepareSample = {
  code: 0,
  message: null,
  response: { merchant_uid: 'order-prep', amount: 42000, currency: 'KRW' },
};
