import { useT } from '../i18n/use-t';

/**
 * Raw evidence (query strings, webhook bodies and headers, gateway JSON) as the monitor stored
 * it, for reading only. Everything is rendered as React text inside <pre> or table cells, so a
 * `<script>` in a buyer's query string shows as those characters and never runs; nothing here
 * uses dangerouslySetInnerHTML.
 */

/** JSON objects and arrays pretty-printed (2 spaces); anything else exactly as stored. */
export function prettyEvidence(raw: string): { kind: 'json' | 'text'; text: string } {
  const trimmed = raw.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // Not JSON after all: shown as text.
    }
  }
  return { kind: 'text', text: raw };
}

export function RawEvidence({ value, label, testId }: { value: string | null; label?: string; testId?: string }) {
  const t = useT();
  if (value === null || value === '') return <p className="muted small">{t('evidence.empty')}</p>;
  const { kind, text } = prettyEvidence(value);
  return (
    <figure className="raw-evidence">
      {label ? <figcaption className="muted small">{label}</figcaption> : null}
      <pre className={`raw raw-${kind}`} data-testid={testId}>
        {text}
      </pre>
    </figure>
  );
}

/** The query string exactly as received, then its decoded parameters (as text). */
export function QueryStringEvidence({ raw, truncated }: { raw: string; truncated: boolean }) {
  const t = useT();
  const pairs = [...new URLSearchParams(raw)];
  return (
    <div className="stack-tight">
      <RawEvidence value={raw === '' ? null : raw} label={t('evidence.rawQuery')} testId="raw-query" />
      {truncated ? <p className="muted small">{t('evidence.truncated')}</p> : null}
      {pairs.length > 0 ? (
        <table className="data-table kv-table">
          <caption className="muted small">{t('evidence.decodedQuery')}</caption>
          <tbody>
            {pairs.map(([key, value], i) => (
              <tr key={i}>
                <th scope="row" className="mono">
                  {key}
                </th>
                <td className="mono break">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function HeadersEvidence({ headers }: { headers: [string, string][] }) {
  const t = useT();
  if (headers.length === 0) return <p className="muted small">{t('evidence.empty')}</p>;
  return (
    <table className="data-table kv-table">
      <caption className="muted small">{t('evidence.headers')}</caption>
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={i}>
            <th scope="row" className="mono">
              {name}
            </th>
            <td className="mono break">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
