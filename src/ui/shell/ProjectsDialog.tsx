import { useEffect, useState } from 'react';
import {
  createProject,
  deleteProject,
  duplicateProject,
  listProjects,
  projectUrl,
  renameProject,
  storageEstimate,
  type ProjectListing,
} from '../../state/projects.ts';
import { flushProject } from '../../state/project.ts';
import { useStudio } from '../../state/store.ts';
import { formatBytes, plural } from '../format.ts';
import { Dialog } from './Dialog.tsx';

/** Every project this browser keeps, to open, rename, copy or delete, with the storage each uses. */
export function ProjectsDialog({ onClose }: { onClose: () => void }) {
  const current = useStudio((s) => s.ui.storage.project);
  const [projects, setProjects] = useState<ProjectListing[] | null>(null);
  const [estimate, setEstimate] = useState<{ usage: number; quota: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState<string | null>(null);

  // Bumped after every action, to read the list again.
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    Promise.all([listProjects(), storageEstimate()]).then(
      ([list, usage]) => {
        if (!current) return;
        setProjects(list);
        setEstimate(usage);
      },
      (error: unknown) => current && setProblem(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      current = false;
    };
  }, [version]);

  const act = async (action: () => Promise<string | null | void>) => {
    setProblem(null);
    try {
      const reason = await action();
      if (reason) setProblem(reason);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
    setVersion((v) => v + 1);
  };
  const open = async (id: string) => {
    await flushProject();
    location.assign(projectUrl(id));
  };

  return (
    <Dialog
      title="Projects"
      open
      onClose={onClose}
      actions={
        <>
          <button type="button" className="fs-button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={() => void createProject('Untitled project').then((entry) => open(entry.id))}
          >
            New project
          </button>
        </>
      }
    >
      {estimate && (
        <p className="fs-small">
          This site uses {formatBytes(estimate.usage)} of the {formatBytes(estimate.quota)} the browser allows
          it.
        </p>
      )}
      {problem && (
        <p className="fs-notice fs-notice-error" role="alert">
          {problem}
        </p>
      )}
      {projects === null ? (
        <p className="fs-small">Reading the projects…</p>
      ) : (
        <table className="fs-table" aria-label="Projects">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Dataset</th>
              <th scope="col">Runs</th>
              <th scope="col">Size</th>
              <th scope="col">Last opened</th>
              <th scope="col">
                <span className="fs-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => {
              const here = p.id === current?.id;
              return (
                <tr key={p.id} aria-current={here ? 'true' : undefined}>
                  <th scope="row">
                    {renaming?.id === p.id ? (
                      <form
                        onSubmit={(event) => {
                          event.preventDefault();
                          void act(() => renameProject(p.id, renaming.name)).then(() => setRenaming(null));
                        }}
                      >
                        <input
                          aria-label={`New name for ${p.name}`}
                          value={renaming.name}
                          autoFocus
                          onChange={(event) => setRenaming({ id: p.id, name: event.target.value })}
                        />
                        <button type="submit" className="fs-button fs-button-quiet">
                          Save
                        </button>
                      </form>
                    ) : (
                      <>
                        {p.name}
                        {here ? ' (this tab)' : p.open ? ' (open in another tab)' : ''}
                      </>
                    )}
                  </th>
                  <td>{p.dataset ?? '—'}</td>
                  <td>{plural(p.runs, 'run')}</td>
                  <td>{formatBytes(p.bytes)}</td>
                  <td>{new Date(p.lastOpenedAt).toLocaleString()}</td>
                  <td className="fs-row-actions">
                    {!here && (
                      <button
                        type="button"
                        className="fs-button fs-button-quiet"
                        onClick={() => void open(p.id)}
                      >
                        Open <span className="fs-visually-hidden">{p.name}</span>
                      </button>
                    )}
                    <button
                      type="button"
                      className="fs-button fs-button-quiet"
                      onClick={() => setRenaming({ id: p.id, name: p.name })}
                    >
                      Rename <span className="fs-visually-hidden">{p.name}</span>
                    </button>
                    <button
                      type="button"
                      className="fs-button fs-button-quiet"
                      onClick={() =>
                        void act(async () => void (await flushProject(), await duplicateProject(p.id)))
                      }
                    >
                      Duplicate <span className="fs-visually-hidden">{p.name}</span>
                    </button>
                    {confirmingDelete === p.id ? (
                      <button
                        type="button"
                        className="fs-button fs-button-danger"
                        onClick={() =>
                          void act(() => deleteProject(p.id)).then(() => setConfirmingDelete(null))
                        }
                      >
                        Delete {p.name} and its runs for good
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="fs-button fs-button-quiet"
                        onClick={() => setConfirmingDelete(p.id)}
                      >
                        Delete <span className="fs-visually-hidden">{p.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}
