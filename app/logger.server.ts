import pino, { type Logger } from 'pino';

export type Log = Logger;

/** JSON lines on stdout; secrets are redacted wherever a caller passes them by mistake. */
export function createLogger(level: string, destination?: pino.DestinationStream): Log {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.authorization',
          '*.cookie',
          '*.imp_secret',
          '*.password',
          '*.apiKey',
          '*.secret',
          // Buyer fields (personal data) never reach the log, as wire or domain names.
          ...['buyer_name', 'buyer_email', 'buyer_tel', 'buyer_addr', 'buyer_postcode'].flatMap((k) => [k, `*.${k}`]),
          ...['buyerName', 'buyerEmail', 'buyerTel', 'buyerAddr'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
        ],
        censor: '[redacted]',
      },
    },
    // Asynchronous writes: one line per request must not cost a blocking write per request.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
