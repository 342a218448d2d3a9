import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Tables of sign-in, sessions and the audit log (migration 0010). Conventions: see db/schema.ts. */

export interface UserTable {
  id: Generated<number>;
  /** Lower-cased and trimmed; unique. */
  email: string;
  /** `admin` | `operator` | `viewer` (app/auth/roles.ts). */
  role: string;
  /** `scrypt$N$r$p$salt$hash` (app/auth/password.server.ts). */
  password_hash: string;
  disabled_at: string | null;
  last_sign_in_at: string | null;
  created_at: string;
  updated_at: string;
}
export type UserRow = Selectable<UserTable>;
export type NewUserRow = Insertable<UserTable>;
export type UserRowUpdate = Updateable<UserTable>;

export interface SessionTable {
  /** SHA-256 (hex) of the random token held by the cookie; the token itself is never stored. */
  id: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  revoked_at: string | null;
  ip: string | null;
  user_agent: string | null;
}
export type SessionRow = Selectable<SessionTable>;
export type NewSessionRow = Insertable<SessionTable>;
export type SessionRowUpdate = Updateable<SessionTable>;

export interface LoginAttemptTable {
  id: Generated<number>;
  at: string;
  email: string;
  ip: string;
  /** `success` | `failure` | `throttled`; only failures count towards the limit. */
  outcome: string;
}
export type LoginAttemptRow = Selectable<LoginAttemptTable>;
export type NewLoginAttemptRow = Insertable<LoginAttemptTable>;

export interface LoginThrottleTable {
  /** `pair` (email + ip) | `ip` (email '') | `email` (ip ''); see app/auth/throttle.ts. */
  scope: string;
  email: string;
  ip: string;
  window_start: string;
  /** pair/ip: attempts counted in the window; email: checked failures in the window. */
  attempts: number;
  /** email: the earliest time an unknown address may try again (the slow-down). */
  next_at: string | null;
}
export type LoginThrottleRow = Selectable<LoginThrottleTable>;

export interface AuditEventTable {
  id: Generated<number>;
  at: string;
  /** Null for actions taken by the system (first admin, jobs). */
  actor_user_id: number | null;
  /** The actor's email at the time, or `system`: stays readable if the user is renamed. */
  actor_label: string;
  /** `noun.verb`, e.g. `user.create`, `auth.sign_in`, `order.resolve`. */
  action: string;
  target_type: string | null;
  target_id: string | null;
  reason: string | null;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
}
export type AuditEventRow = Selectable<AuditEventTable>;
export type NewAuditEventRow = Insertable<AuditEventTable>;

export interface AuthTables {
  user: UserTable;
  session: SessionTable;
  login_attempt: LoginAttemptTable;
  login_throttle: LoginThrottleTable;
  audit_event: AuditEventTable;
}
