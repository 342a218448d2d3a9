import { describe, expect, it } from 'vitest';
import { hasRole, isRole, ROLES, type Role } from '~/auth/roles';

describe('roles: viewer < operator < admin', () => {
  const table: [Role, Role, boolean][] = [
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['viewer', 'admin', false],
    ['operator', 'viewer', true],
    ['operator', 'operator', true],
    ['operator', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'operator', true],
    ['admin', 'admin', true],
  ];
  it.each(table)('%s meets %s: %s', (actual, required, expected) => {
    expect(hasRole(actual, required)).toBe(expected);
  });

  it('recognises exactly the three roles', () => {
    expect(ROLES).toEqual(['viewer', 'operator', 'admin']);
    expect(ROLES.every(isRole)).toBe(true);
    for (const value of ['Admin', 'root', '', null, undefined, 1]) expect(isRole(value)).toBe(false);
  });
});
