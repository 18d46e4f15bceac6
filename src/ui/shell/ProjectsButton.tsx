import { useState } from 'react';
import { ProjectsDialog } from './ProjectsDialog.tsx';

/** Opens the project list: every project this browser keeps, to open, rename, copy or delete. */
export function ProjectsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="fs-button" onClick={() => setOpen(true)}>
        Projects
      </button>
      {open && <ProjectsDialog onClose={() => setOpen(false)} />}
    </>
  );
}
