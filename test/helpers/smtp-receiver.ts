import { SMTPServer } from 'smtp-server';

/** One email as the SMTP server received it, with its MIME parts decoded. */
export type ReceivedMail = {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
  html: string;
  receivedAt: number;
};

export type SmtpReceiver = {
  port: number;
  mails: ReceivedMail[];
  waitFor: (n: number, timeoutMs?: number) => Promise<ReceivedMail[]>;
  close: () => Promise<void>;
};

/**
 * A real SMTP server (the `smtp-server` package) on loopback: accepts every message without
 * authentication or TLS and keeps it, decoded, for assertions. `port` 0 picks a free one; pass
 * a port to bring a "down" server back on the address a channel was configured with.
 */
export async function startSmtpReceiver(port = 0): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMime(raw),
          receivedAt: Date.now(),
        });
        waiters = waiters.filter((w) => (mails.length >= w.n ? (w.resolve(), false) : true));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as { port: number };
  return {
    port: address.port,
    mails,
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (mails.length >= n) return resolve(mails.slice());
        const timer = setTimeout(() => reject(new Error(`SMTP got ${mails.length} of ${n} mails`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(mails.slice());
          },
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function decodeQuotedPrintable(value: string): string {
  const bytes = value
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`)
    .replace(/%(?![0-9A-F]{2})/gi, '%25');
  try {
    return decodeURIComponent(bytes);
  } catch {
    return value;
  }
}

function headerOf(head: string, name: string): string {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded);
  return match?.[1]?.trim() ?? '';
}

/** Just enough MIME for nodemailer's output: multipart/alternative with text and html parts. */
function parseMime(raw: string): { subject: string; text: string; html: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const subject = decodeWords(headerOf(head, 'Subject'));
  const parts: { type: string; content: string }[] = [];
  const collect = (partHead: string, partBody: string) => {
    const type = headerOf(partHead, 'Content-Type');
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (boundary) {
      for (const chunk of partBody.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const at = chunk.indexOf('\r\n\r\n');
        collect(chunk.slice(0, at), chunk.slice(at + 4));
      }
      return;
    }
    const encoding = headerOf(partHead, 'Content-Transfer-Encoding').toLowerCase();
    const content =
      encoding === 'base64'
        ? Buffer.from(partBody.replace(/\s+/g, ''), 'base64').toString('utf8')
        : encoding === 'quoted-printable'
          ? decodeQuotedPrintable(partBody)
          : partBody;
    parts.push({ type: type.toLowerCase(), content });
  };
  collect(head, body);
  return {
    subject,
    text: parts.find((p) => p.type.startsWith('text/plain'))?.content ?? '',
    html: parts.find((p) => p.type.startsWith('text/html'))?.content ?? '',
  };
}
