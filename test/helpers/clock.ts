/**
 * The one clock tests move by hand. Give `now` to the monitor and the sandbox: neither reads the
 * real time when given this. `nowS` is the same instant in unix seconds (the gateway's unit).
 */
export type Clock = {
  now: () => Date;
  nowS: () => number;
  set: (iso: string) => void;
  advance: (ms: number) => void;
};

export function createClock(start = '2026-11-24T09:00:00.000Z'): Clock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    nowS: () => Math.floor(current / 1000),
    set: (iso) => {
      current = new Date(iso).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
