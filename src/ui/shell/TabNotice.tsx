import { useStudio } from '../../state/store.ts';
import { reloadTab, takeOverProject } from '../../state/tabs.ts';
import { Notice } from './Notice.tsx';

/** Says when another tab writes this project, and what this tab can do about it. */
export function TabNotice() {
  const tab = useStudio((state) => state.ui.storage.tab);
  switch (tab) {
    case 'writer':
      return null;
    case 'reader':
      return (
        <Notice
          tone="warning"
          message="This project is open in another tab, so this tab shows it read-only: changes made here are not saved."
          hint="Take it over to work here: the other tab stops its training runs and stops saving."
        >
          <button type="button" className="fs-button" onClick={() => void takeOverProject()}>
            Take over here
          </button>
        </Notice>
      );
    case 'released':
      return (
        <Notice
          tone="info"
          message="The other tab with this project was closed."
          hint="Reload to continue the project here, with everything that tab saved."
        >
          <button type="button" className="fs-button" onClick={reloadTab}>
            Reload
          </button>
        </Notice>
      );
    case 'replaced':
      return (
        <Notice
          tone="warning"
          message="Another tab took over this project: this tab no longer saves, and its training runs were stopped."
          hint="Continue in the other tab, or reload this one to open the project read-only."
        >
          <button type="button" className="fs-button" onClick={reloadTab}>
            Reload
          </button>
        </Notice>
      );
  }
}
