import type { ReactNode } from 'react';

interface NoticeProps {
  tone: 'error' | 'warning' | 'info' | 'success';
  message: string;
  hint?: string | undefined;
  children?: ReactNode;
  onDismiss?: () => void;
}

/** A message where the user is looking: what happened, then what to do next. */
export function Notice({ tone, message, hint, children, onDismiss }: NoticeProps) {
  return (
    <div className={`fs-notice fs-notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      <div className="fs-notice-body">
        <p className="fs-notice-message">{message}</p>
        {hint ? <p className="fs-notice-hint">{hint}</p> : null}
        {children}
      </div>
      {onDismiss ? (
        <button
          type="button"
          className="fs-button fs-button-quiet"
          onClick={onDismiss}
          aria-label="Dismiss message"
        >
          ✕
        </button>
      ) : null}
    </div>
  );
}
