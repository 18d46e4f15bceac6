import type { ReactNode } from 'react';

interface EmptyStateProps {
  title: string;
  children: ReactNode;
  action?: ReactNode;
}

/** What a step needs before it can show anything, and the way there. */
export function EmptyState({ title, children, action }: EmptyStateProps) {
  return (
    <section className="fs-empty" aria-label={title}>
      <h2>{title}</h2>
      <div className="fs-empty-text">{children}</div>
      {action ? <div className="fs-empty-action">{action}</div> : null}
    </section>
  );
}
