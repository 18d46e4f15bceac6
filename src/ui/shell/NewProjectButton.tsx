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
              className="fs-button fs-button-primary"
              onClick={() => void confirm()}
              disabled={busy}
            >
              Create project
            </button>
          </>
        }
      >
        <p>
          A new, empty project opens in this tab. This project stays in <strong>Projects</strong>, with its
          dataset and runs, to open again whenever you like.
        </p>
      </Dialog>
    </>
  );
}
