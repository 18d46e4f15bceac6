import { useEffect, useRef, type ReactNode } from 'react';

interface DialogProps {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  actions: ReactNode;
}

/** A modal on the native <dialog>: focus is trapped and Escape closes it. */
export function Dialog({ title, open, onClose, children, actions }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="fs-dialog" aria-label={title} onClose={onClose} onCancel={onClose}>
      <h2 className="fs-dialog-title">{title}</h2>
      <div className="fs-dialog-body">{children}</div>
      <div className="fs-dialog-actions">{actions}</div>
    </dialog>
  );
}
