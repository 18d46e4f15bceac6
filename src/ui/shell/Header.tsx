import { openSettings } from '../../state/ui.ts';
import { BackendBadge } from './BackendBadge.tsx';
import { NewProjectButton } from './NewProjectButton.tsx';
import { ProjectBackup } from './ProjectBackup.tsx';
import { ProjectsButton } from './ProjectsButton.tsx';

export function Header() {
  return (
    <header className="fs-header">
      <div className="fs-brand">
        <span className="fs-logo" aria-hidden="true">
          ◆
        </span>
        <h1>Finetune Studio</h1>
      </div>
      <div className="fs-header-tools">
        <BackendBadge />
        <ProjectsButton />
        <ProjectBackup />
        <NewProjectButton />
        <button type="button" className="fs-button" onClick={() => openSettings(true)}>
          Settings
        </button>
      </div>
    </header>
  );
}
