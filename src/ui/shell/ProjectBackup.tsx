import { useRef, useState } from 'react';
import { downloadProjectBackup, restoreProjectBackup } from '../../state/backup.ts';
import { Dialog } from './Dialog.tsx';

/** Back the project up as one file, or open such a file (from this or another machine) in its place. */
export function ProjectBackup() {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<'backup' | 'restore' | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const backUp = async () => {
    setBusy('backup');
    setProblem(await downloadProjectBackup());
    setBusy(null);
  };
  const restore = async (file: File | undefined) => {
    if (!file) return;
    setBusy('restore');
    setProblem(await restoreProjectBackup(file));
    setBusy(null);
  };

  return (
    <>
      <button type="button" className="fs-button" onClick={() => setOpen(true)}>
        Backup
      </button>
      <Dialog
        title="Back up or restore the project"
        open={open}
        onClose={() => setOpen(false)}
        actions={
          <>
            <button type="button" className="fs-button" onClick={() => setOpen(false)}>
              Close
            </button>
            <button
              type="button"
              className="fs-button"
              onClick={() => fileInput.current?.click()}
              disabled={busy !== null}
            >
              {busy === 'restore' ? 'Restoring…' : 'Restore from a backup…'}
            </button>
            <button
              type="button"
              className="fs-button fs-button-primary"
              onClick={() => void backUp()}
              disabled={busy !== null}
              autoFocus
            >
              {busy === 'backup' ? 'Preparing…' : 'Download backup'}
            </button>
          </>
        }
      >
        <p>
          A backup is one file with the dataset as you dropped it, your edits, the column mapping, the model
          choice and every run with its curves, metrics and kept checkpoints. Open it here or in another
          browser or machine to carry on where you left off. Models downloaded from the Hub are fetched again;
          a model from a dropped folder is dropped again.
        </p>
        <p>Restoring replaces the project open now; back it up first if you want to keep it.</p>
        <input
          ref={fileInput}
          type="file"
          accept=".zip,application/zip"
          aria-label="Backup file to restore"
          hidden
          onChange={(event) => {
            void restore(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
        {problem && (
          <p className="fs-notice fs-notice-error" role="alert">
            {problem}
          </p>
        )}
      </Dialog>
    </>
  );
}
