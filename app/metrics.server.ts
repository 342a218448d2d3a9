/**
 * Process-local Prometheus counters. One registry per process, created by the server entry and
 * carried in the app context; gauges that live in the database are read at scrape time.
 */

type Labels = Record<string, string>;

const HELP = {
  monitor_redirects_total: 'Redirect hits recorded, by verified outcome.',
  monitor_webhooks_total: 'Webhook deliveries recorded, by answer.',
  monitor_verifications_total: 'Verifications decided, by trigger and outcome.',
  monitor_gateway_calls_total: 'Calls to the Iamport API, by operation and HTTP status.',
  monitor_unknown_store_requests_total:
    'Requests naming a store slug that does not exist (counted, not stored), by route.',
  monitor_unknown_evidence_total:
    'Evidence for unregistered orders, by what the per-store budget decided (admitted or deferred to the job).',
  monitor_public_limited_total: 'Public requests answered 429, by route and limit (ip or store).',
  monitor_redirect_coalesced_total: 'Redirect hits answered from a gateway look-up made moments before (no new call).',
} as const;
export type CounterName = keyof typeof HELP;

export type Metrics = {
  inc: (name: CounterName, labels: Labels, by?: number) => void;
  render: (gauges: { name: string; help: string; value: number }[]) => string;
};

export function createMetrics(): Metrics {
  const counters = new Map<CounterName, Map<string, number>>();
  return {
    inc(name, labels, by = 1) {
      const series = counters.get(name) ?? new Map<string, number>();
      counters.set(name, series);
      const key = formatLabels(labels);
      series.set(key, (series.get(key) ?? 0) + by);
    },
    render(gauges) {
      const lines: string[] = [];
      for (const name of Object.keys(HELP) as CounterName[]) {
        lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} counter`);
        for (const [labels, value] of counters.get(name) ?? []) lines.push(`${name}${labels} ${value}`);
      }
      for (const gauge of gauges)
        lines.push(`# HELP ${gauge.name} ${gauge.help}`, `# TYPE ${gauge.name} gauge`, `${gauge.name} ${gauge.value}`);
      return `${lines.join('\n')}\n`;
    },
  };
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}
