import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '~/logger.server';
import { maskItems, maskOrderDetail, maskRawText, maskText } from '~/monitor/dashboard/mask';

describe('buyer fields masked for viewers', () => {
  it.each([
    ['홍길동', '홍**'],
    ['John Smith', 'J*** S****'],
    ['buyer@example.com', 'b****@example.com'],
    ['010-1234-5678', '0**-****-****'],
    ['서울시 강남구 테헤란로 1', '서** 강** 테*** 1'],
  ])('%s → %s', (value, masked) => {
    expect(maskText(value)).toBe(masked);
  });

  it('masks buyer keys inside raw JSON at any depth and leaves the rest', () => {
    const raw = JSON.stringify({
      code: 0,
      response: { buyer_name: '홍길동', buyer_tel: '01012345678', amount: 1000, list: [{ buyer_email: 'a@b.kr' }] },
    });
    const masked = JSON.parse(maskRawText(raw)) as { response: Record<string, unknown> };
    expect(masked.response).toEqual({
      buyer_name: '홍**',
      buyer_tel: '0**********',
      amount: 1000,
      list: [{ buyer_email: 'a@b.kr' }],
    });
    expect(maskRawText('not json {')).toBe('not json {');
  });

  it('masks buyer keys in a query string or form body', () => {
    expect(maskRawText('imp_uid=imp_1&buyer_name=%ED%99%8D%EA%B8%B8%EB%8F%99&x=1')).toBe(
      `imp_uid=imp_1&buyer_name=${encodeURIComponent('홍**')}&x=1`,
    );
    expect(maskRawText('imp_uid=imp_1&merchant_uid=m')).toBe('imp_uid=imp_1&merchant_uid=m');
  });

  it('only viewers get the masked view', () => {
    const items = [{ buyerName: '홍길동' }, { buyerName: null }];
    expect(maskItems('viewer', items)).toEqual([{ buyerName: '홍**' }, { buyerName: null }]);
    expect(maskItems('operator', items)).toBe(items);
    const detail = {
      order: { buyerName: 'Kim' },
      timeline: [
        { kind: 'gateway_check', rawJson: '{"response":{"buyer_addr":"Seoul"}}' },
        { kind: 'redirect_hit', queryString: 'buyer_tel=0101234' },
        { kind: 'verification' },
      ],
    };
    expect(maskOrderDetail('viewer', detail)).toEqual({
      order: { buyerName: 'K**' },
      timeline: [
        { kind: 'gateway_check', rawJson: '{"response":{"buyer_addr":"S****"}}' },
        { kind: 'redirect_hit', queryString: 'buyer_tel=0******' },
        { kind: 'verification' },
      ],
    });
    expect(maskOrderDetail('admin', detail)).toBe(detail);
  });

  it('the logger redacts buyer fields', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger('info', sink as never);
    log.info({ payment: { buyer_name: '홍길동', buyerTel: '010', amount: 5 }, buyer_email: 'a@b.kr' }, 'x');
    log.flush?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = lines.join('');
    expect(text).not.toContain('홍길동');
    expect(text).not.toContain('a@b.kr');
    expect(text).not.toContain('"010"');
    expect(text).toContain('"amount":5');
  });
});
