import type { ReactNode } from 'react';

/** What an empty list or page says: what is missing and what to do next. */
export function EmptyState({ title, children, action }: { title: ReactNode; children: ReactNode; action?: ReactNode }) {
  return (
    <section className="empty-state">
      <h2>{title}</h2>
      <p>{children}</p>
      {action ? <div className="empty-state-action">{action}</div> : null}
    </section>
  );
}
