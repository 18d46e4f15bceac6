import { useState } from 'react';
import { newProject } from '../../state/project.ts';
import { Dialog } from './Dialog.tsx';

export function NewProjectButton() {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    await newProject();
    setBusy(false);
    setOpen(false);
  };
  return (
    <>
      <button type="button" className="fs-button" onClick={() => setOpen(true)}>
        New project
      </button>
      <Dialog
        title="Start a new project?"
        open={open}
        onClose={() => setOpen(false)}
        actions={
          <>
            <button type="button" className="fs-button" onClick={() => setOpen(false)} autoFocus>
              Keep working
            </button>
            <button
              type="button"
              className="fs-button fs-button-danger"
              onClick={() => void confirm()}
              disabled={busy}
            >
              Delete and start new
            </button>
          </>
        }
      >
        <p>
          This deletes the dataset, the column mapping and every run saved in this browser. Downloaded models
          stay cached. Download anything you want to keep from the Export step first.
        </p>
      </Dialog>
    </>
  );
}
