import type { JobDefinition } from './scheduler';

/** Every scheduled job of the monitor. Later issues add reconciliation and the sweep. */
export function jobDefinitions(): JobDefinition[] {
  return [];
}
