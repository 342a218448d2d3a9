import { describe, expect, it } from 'vitest';
import { asciiLower, phoneDigits } from '~/monitor/search-keys';

describe('search keys', () => {
  it.each([
    ['010-1234-5678', '01012345678'],
    ['010 1234 5678', '01012345678'],
    ['(010) 1234.5678', '01012345678'],
    ['+82 10-1234-5678', '01012345678'],
    ['+82-010-1234-5678', '01012345678'],
    ['+8210 1234 5678', '01012345678'],
    ['82-10-1234', '82101234'],
    ['02-123-4567', '021234567'],
    ['0101', '0101'],
    ['call me', null],
    ['', null],
  ])('phone %j is %j', (text, digits) => {
    expect(phoneDigits(text)).toBe(digits);
  });

  it('folds ASCII letters only, like lower() in SQLite and in PostgreSQL under "C"', () => {
    expect(asciiLower('Kim.Lee@Example.COM')).toBe('kim.lee@example.com');
    expect(asciiLower('ÉCOLE 티셔츠 Ǆ')).toBe('École 티셔츠 Ǆ');
    expect(asciiLower('ÀB')).toBe('Àb');
  });
});
