import type { ReactNode } from 'react';

/**
 * A chart's card: title, one sentence on how to read it, the chart, and the same figures as a
 * table under a disclosure (screen readers, copying numbers, and tests read that).
 */
export function ChartFrame({
  id,
  title,
  description,
  children,
  table,
  footer,
}: {
  id: string;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  table?: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <figure className="chart-card card" data-testid={`chart-${id}`} aria-labelledby={`${id}-title`}>
      <figcaption>
        <h2 id={`${id}-title`}>{title}</h2>
        {description ? <p className="muted small">{description}</p> : null}
      </figcaption>
      <div className="chart-body">{children}</div>
      {footer ? <div className="chart-footer small">{footer}</div> : null}
      {table ? <details className="chart-data small">{table}</details> : null}
    </figure>
  );
}
