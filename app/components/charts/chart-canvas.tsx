import { useEffect, useState, type ReactNode } from 'react';

/**
 * Where a chart draws: a box of the chart's explicit height, filled only in the browser.
 * recharts measures text in the DOM (tick spacing, label wrapping) and answers differently on the
 * server, so a server-drawn SVG would not hydrate; the box keeps the layout still meanwhile, and
 * the same figures are in the server-rendered table under each chart.
 */
export function ChartCanvas({ height, children }: { height: number; children: () => ReactNode }) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <div className="chart-canvas" style={{ height }} data-ready={mounted ? 'true' : undefined}>
      {mounted ? children() : null}
    </div>
  );
}
