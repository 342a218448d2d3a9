import type { PaymentRow } from './db/schema';
import { escapeHtml as e, scriptJson } from './http';
import type { Merchant } from './merchants';
import { OUTCOME_ERRORS, REDIRECT_STYLES, type RedirectStyle } from './rules';

/** HTML of the sandbox's pages. Everything that came from a request goes through `e()`. */

const CSS = `
body{font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:640px;margin:2rem auto;background:#fff;border-radius:10px;padding:1.5rem 2rem;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin-top:0} .badge{display:inline-block;background:#ffe8a3;color:#6b4e00;border-radius:4px;padding:.1rem .45rem;font-size:.75rem;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem} dt{color:#5b6475} dd{margin:0;word-break:break-all}
label{display:block;margin:.6rem 0 .2rem;color:#5b6475;font-size:.9rem} input,select{font:inherit;padding:.35rem .5rem;width:100%;box-sizing:border-box}
.row{display:flex;gap:1rem} .row>*{flex:1} .outcomes{display:grid;grid-template-columns:1fr 1fr;gap:.5rem;margin-top:1rem}
button{font:inherit;padding:.6rem .8rem;border-radius:6px;border:1px solid #c9ced8;background:#fff;cursor:pointer}
button.primary{background:#2f5bea;color:#fff;border-color:#2f5bea} table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #e6e8ec;padding:.35rem;text-align:left;word-break:break-all}
pre{background:#f4f5f7;padding:.75rem;border-radius:6px;white-space:pre-wrap;word-break:break-all} .muted{color:#5b6475;font-size:.85rem}
.check{display:flex;gap:.5rem;align-items:center} .check input{width:auto}
`;

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="ko">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>${CSS}</style></head>
<body><main>${body}</main></body>
</html>`;
}

export function errorPage(title: string, message: string, back: string | null = null): string {
  return layout(
    title,
    `<h1>${e(title)}</h1><p data-testid="error">${e(message)}</p>${back ? `<p><a href="${e(back)}">돌아가기</a></p>` : ''}`,
  );
}

function amountText(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US')} ${currency}`;
}

const STYLE_LABELS: Record<RedirectStyle, string> = {
  imp_success: 'imp_success=true|false',
  success: 'success=true|false',
  none: 'no flag (e.g. Inicis real-time transfer)',
  ids_only: 'ids only (tosspayments: imp_uid & merchant_uid)',
};

/** The hosted payment window: the tester picks how it ends. */
export function windowPage(p: PaymentRow, merchant: Merchant, defaultStyle: RedirectStyle): string {
  const styles = REDIRECT_STYLES.map(
    (s) => `<option value="${s}"${s === defaultStyle ? ' selected' : ''}>${e(STYLE_LABELS[s])}</option>`,
  ).join('');
  const button = (outcome: string, label: string, primary = false) =>
    `<button type="submit" name="outcome" value="${outcome}" data-testid="outcome-${outcome}"${primary ? ' class="primary"' : ''}>${e(label)}</button>`;
  return layout(
    'PG 결제창 (sandbox)',
    `<h1>PG 결제창 <span class="badge">SANDBOX</span></h1>
<dl>
<dt>가맹점</dt><dd data-testid="merchant">${e(merchant.name)} (${e(merchant.imp_code)})</dd>
<dt>주문명</dt><dd data-testid="order-name">${e(p.name ?? '')}</dd>
<dt>결제금액</dt><dd data-testid="amount">${e(amountText(p.amount, p.currency))}</dd>
<dt>주문번호</dt><dd>${e(p.merchant_uid)}</dd>
<dt>결제수단 / PG</dt><dd>${e(p.pay_method ?? '')} / ${e(p.pg_provider ?? '')}${p.pg_id ? ` (${e(p.pg_id)})` : ''}</dd>
<dt>구매자</dt><dd>${e(p.buyer_name ?? '')}</dd>
<dt>imp_uid</dt><dd data-testid="imp-uid">${e(p.imp_uid)}</dd>
</dl>
<form method="post" action="/checkout/${encodeURIComponent(p.imp_uid)}/complete">
<label for="style">Redirect style${p.window_mode === 'callback' ? ' (callback object)' : ''}</label>
<select id="style" name="style">${styles}</select>
<div class="row">
<div><label for="error_code">PG error code (failures)</label><input id="error_code" name="error_code" maxlength="40" placeholder="${e(OUTCOME_ERRORS.failed.code)}"></div>
<div><label for="error_msg">PG error message</label><input id="error_msg" name="error_msg" maxlength="200" placeholder="${e(OUTCOME_ERRORS.failed.msg)}"></div>
</div>
<label for="tampered_amount">Pay a different amount (simulates a tampered browser amount)</label>
<input id="tampered_amount" name="tampered_amount" inputmode="numeric" maxlength="20" placeholder="${e(String(p.amount))}">
<div class="row">
<div><label for="webhook">Webhook</label><select id="webhook" name="webhook">
<option value="merchant">merchant default</option><option value="on_time">on time</option><option value="delayed">delayed</option>
<option value="dropped">dropped</option><option value="duplicated">duplicated (×2)</option>
<option value="before_redirect">before the redirect</option><option value="after_redirect">after the redirect</option>
</select></div>
<div><label for="delay_seconds">Delay (s)</label><input id="delay_seconds" name="delay_seconds" inputmode="numeric" value="60" maxlength="6"></div>
</div>
<label class="check"><input type="checkbox" name="retry" value="on"> retry 5 × 1 min on network error / 5xx</label>
<div class="outcomes">
${button('paid', '결제 승인 (paid)', true)}
${button('vbank_issued', '가상계좌 발급 (vbank ready)')}
${button('failed', '결제 실패 (PG error)')}
${button('card_refused', '카드 거절 (한도초과/잔액부족)')}
${button('buyer_cancel', '사용자 취소 (X)')}
${button('window_not_opened', '결제창 호출 실패 (PG 설정)')}
</div>
</form>`,
  );
}

/** Ends a callback-mode window: hands the response to the merchant page that opened it. */
export function finishPage(targetOrigin: string | null, response: unknown): string {
  const origin = targetOrigin && /^https?:\/\/[^/]+$/.test(targetOrigin) ? targetOrigin : '*';
  return layout(
    '결제창 종료',
    `<h1>결제창이 닫혔습니다</h1><p class="muted">The result was sent to the page that opened this window.</p>
<script>(function(){var msg={source:'iamport-sandbox',response:${scriptJson(response)}};var to=window.parent!==window?window.parent:window.opener;if(to)to.postMessage(msg,${scriptJson(origin)});})();</script>`,
  );
}

/** `/shop/result`: the m_redirect_url of the demo shop when no monitor is connected. */
export function resultPage(entries: [string, string][], rawQuery: string): string {
  const rows = entries
    .map(([k, v]) => `<tr><th>${e(k)}</th><td data-testid="param-${e(k)}">${e(v)}</td></tr>`)
    .join('');
  return layout(
    'm_redirect_url (sandbox)',
    `<h1>Redirect received</h1>
<p class="muted">The buyer's browser was sent here by the payment window. Never trust these values: ask the REST API.</p>
<table>${rows || '<tr><td>(no query string)</td></tr>'}</table>
<p class="muted">Raw query string</p><pre data-testid="raw-query">${e(rawQuery)}</pre>
<p><a href="/">Back to the demo shop</a></p>`,
  );
}

export function receiptPage(p: PaymentRow): string {
  return layout(
    '매출전표 (sandbox)',
    `<h1>매출전표 <span class="badge">SANDBOX</span></h1><dl>
<dt>imp_uid</dt><dd>${e(p.imp_uid)}</dd><dt>주문번호</dt><dd>${e(p.merchant_uid)}</dd><dt>주문명</dt><dd>${e(p.name ?? '')}</dd>
<dt>금액</dt><dd>${e(amountText(p.amount, p.currency))}</dd><dt>취소금액</dt><dd>${e(amountText(p.cancel_amount, p.currency))}</dd>
<dt>상태</dt><dd>${e(p.status)}</dd><dt>PG</dt><dd>${e(p.pg_provider ?? '')} ${e(p.pg_tid ?? '')}</dd></dl>`,
  );
}

const SHOP_PGS = ['html5_inicis', 'kcp', 'tosspayments', 'nice_v2', 'kakaopay', 'danal_tpay', 'paypal_v2'];

/** The demo shop: registers an order (with the monitor when connected) and pays through IMP. */
export function shopPage(opts: { impCode: string; connectedTo: string | null }): string {
  const pgs = SHOP_PGS.map((pg) => `<option value="${e(pg)}">${e(pg)}</option>`).join('');
  return layout(
    'Sandbox demo shop',
    `<h1>Demo shop <span class="badge">SANDBOX</span></h1>
<p class="muted" data-testid="shop-mode">${
      opts.connectedTo
        ? `Orders are registered with the monitor store <b>${e(opts.connectedTo)}</b> before paying.`
        : 'Not connected to a monitor: the redirect lands on this sandbox\'s <a href="/shop/result">/shop/result</a>.'
    } Merchant <code>${e(opts.impCode)}</code>.</p>
<form id="shop">
<div class="row"><div><label for="name">Order name</label><input id="name" name="name" value="샌드박스 티셔츠" maxlength="40" required></div>
<div><label for="amount">Amount (KRW)</label><input id="amount" name="amount" type="number" min="1" step="1" value="1000" required></div></div>
<div class="row"><div><label for="pay_method">Pay method</label><select id="pay_method" name="pay_method"><option>card</option><option>trans</option><option>vbank</option><option>phone</option></select></div>
<div><label for="pg">PG</label><select id="pg" name="pg">${pgs}</select></div></div>
<div class="row"><div><label for="buyer_name">Buyer</label><input id="buyer_name" name="buyer_name" value="홍길동" maxlength="16"></div>
<div><label for="buyer_email">Buyer email</label><input id="buyer_email" name="buyer_email" value="buyer@example.com" maxlength="64"></div></div>
<label class="check"><input type="checkbox" id="redirect" name="redirect" checked> Mobile flow: redirect to m_redirect_url (untick for the PC callback)</label>
<p><button class="primary" id="pay" type="submit">Pay</button></p>
</form>
<p class="muted">Result</p><pre id="result" data-testid="result"></pre>
<script src="/iamport.js"></script>
<script>
(function () {
  var IMP_CODE = ${scriptJson(opts.impCode)};
  var out = document.getElementById('result');
  document.getElementById('shop').addEventListener('submit', function (event) {
    event.preventDefault();
    var f = event.target;
    var amount = Number(f.amount.value);
    out.textContent = 'Registering the order…';
    fetch('/shop/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: f.name.value, amount: amount }) })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.code !== 0) { out.textContent = 'Order refused: ' + answer.message; return; }
        var order = answer.response;
        var params = { pg: f.pg.value, pay_method: f.pay_method.value, merchant_uid: order.merchant_uid, amount: amount, name: f.name.value, buyer_name: f.buyer_name.value, buyer_email: f.buyer_email.value };
        if (f.redirect.checked) params.m_redirect_url = order.m_redirect_url;
        if (order.notice_url) params.notice_url = order.notice_url;
        out.textContent = 'Paying ' + order.merchant_uid + '…';
        IMP.init(IMP_CODE);
        IMP.request_pay(params, function (rsp) { out.textContent = JSON.stringify(rsp, null, 2); });
      })
      .catch(function (error) { out.textContent = 'Error: ' + error; });
  });
})();
</script>`,
  );
}

/** `/iamport.js`: IMP.init / IMP.request_pay against this sandbox (docs/decisions/0103). */
export function iamportScript(base: string): string {
  const origin = new URL(base).origin;
  return `/* Iamport V1 SDK shim served by the sandbox: IMP.init(imp_code), IMP.request_pay(params, callback). */
(function () {
  'use strict';
  var BASE = ${scriptJson(base)};
  var ORIGIN = ${scriptJson(origin)};
  var impCode = null;
  function submit(target, payload) {
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = BASE + '/checkout/start';
    form.target = target;
    form.acceptCharset = 'UTF-8';
    form.style.display = 'none';
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'payload';
    input.value = JSON.stringify(payload);
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  }
  window.IMP = {
    init: function (code) { impCode = code; },
    request_pay: function (params, callback) {
      params = params || {};
      var payload = { imp_code: impCode, origin: location.origin, user_agent: navigator.userAgent, params: params };
      if (params.m_redirect_url) { submit('_self', payload); return; }
      var name = 'imp_sandbox_' + Date.now();
      var overlay = document.createElement('div');
      overlay.id = 'imp-sandbox-overlay';
      overlay.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483647;display:flex;align-items:center;justify-content:center';
      var frame = document.createElement('iframe');
      frame.name = name;
      frame.title = 'PG window';
      frame.style.cssText = 'width:min(680px,96vw);height:min(820px,94vh);border:0;border-radius:10px;background:#fff';
      overlay.appendChild(frame);
      document.body.appendChild(overlay);
      function onMessage(event) {
        if (event.origin !== ORIGIN || !event.data || event.data.source !== 'iamport-sandbox') return;
        window.removeEventListener('message', onMessage);
        if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
        if (typeof callback === 'function') callback(event.data.response);
      }
      window.addEventListener('message', onMessage);
      submit(name, payload);
    }
  };
})();
`;
}
