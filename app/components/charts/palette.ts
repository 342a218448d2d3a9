/**
 * Chart colours, one per value, fixed so a status has the same colour on every chart and page.
 * Chosen to stay apart for the common colour-vision deficiencies (green/amber/blue/red/grey).
 */
export const STATUS_COLORS: Record<string, string> = {
  paid: '#1d7a46',
  vbank_issued: '#1f5fbf',
  pending: '#9aa4b1',
  failed: '#e07a5f',
  cancelled: '#5b6470',
  partially_cancelled: '#d4a017',
  mismatch: '#b42318',
};

export const OUTCOME_COLORS: Record<string, string> = {
  ...STATUS_COLORS,
  abandoned: '#c9b79c',
  not_found: '#7c3aed',
  unverified: '#b8bfc8',
  stale_attempt: '#d9dde3',
};

export const FLAG_COLORS: Record<string, string> = {
  imp_success: '#1f5fbf',
  success: '#6ea8ff',
  none: '#d4a017',
};

export const SERIES_COLORS = {
  primary: '#1f5fbf',
  open: '#b42318',
  opened: '#e07a5f',
  resolved: '#1d7a46',
  late: '#d4a017',
  early: '#7c3aed',
} as const;
