import { connect } from 'node:net';

/** One step of what a raw client sends: bytes, or a pause (for slow and unfinished requests). */
export type RawStep = string | Buffer | { pauseMs: number };

export type RawResult = {
  /** The status of the first response line, or null when the server answered nothing. */
  status: number | null;
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** Milliseconds from connecting until the server closed the connection (or we gave up). */
  closedAfterMs: number;
  /** True when the server had not closed the connection by `giveUpMs`. */
  held: boolean;
};

/**
 * Sends `steps` over a plain TCP socket to 127.0.0.1:`port`, exactly as given (no HTTP library
 * fixing anything up), and waits until the server closes the connection or `giveUpMs` passes.
 * With `closeAfterResponse`, a complete response (for keep-alive answers) also ends the wait.
 */
export function rawExchange(
  port: number,
  steps: RawStep[],
  options: { giveUpMs: number; closeAfterResponse?: boolean },
): Promise<RawResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (held: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        status: match ? Number(match[1]) : null,
        text,
        closedAfterMs: Math.round(performance.now() - started),
        held,
      });
    };
    const giveUp = setTimeout(() => finish(true), options.giveUpMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.closeAfterResponse && responseComplete(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false));
    socket.once('connect', () => {
      void (async () => {
        for (const step of steps) {
          if (done) return;
          if (typeof step === 'object' && !Buffer.isBuffer(step)) await new Promise((r) => setTimeout(r, step.pauseMs));
          else if (!socket.destroyed) socket.write(step);
        }
      })();
    });
  });
}

/** A response whose head and Content-Length body (or chunked terminator) have fully arrived. */
function responseComplete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const body = text.slice(end + 4);
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return Buffer.byteLength(body, 'latin1') >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return body.endsWith('0\r\n\r\n');
  return false;
}
