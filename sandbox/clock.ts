/**
 * The sandbox's time: the injected `now` (or the real clock) plus an offset that the
 * `/__sandbox/advance` control moves, so tests can jump minutes ahead without sleeping.
 */
export type SandboxClock = {
  nowMs: () => number;
  nowS: () => number;
  advance: (ms: number) => void;
  /** Drops whatever `advance` added. */
  reset: () => void;
  /** True when `now` was injected: no real timers drive the scheduler, only tick/advance. */
  injected: boolean;
};

export function createSandboxClock(now?: () => Date): SandboxClock {
  let offsetMs = 0;
  const base = now ?? (() => new Date());
  const nowMs = () => base().getTime() + offsetMs;
  return {
    nowMs,
    nowS: () => Math.floor(nowMs() / 1000),
    advance: (ms) => {
      offsetMs += ms;
    },
    reset: () => {
      offsetMs = 0;
    },
    injected: now !== undefined,
  };
}
