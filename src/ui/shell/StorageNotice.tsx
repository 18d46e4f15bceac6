import { useStudio } from '../../state/store.ts';
import { dismissStorageLoss, dismissStorageProblem } from '../../state/ui.ts';
import { Notice } from './Notice.tsx';

/** A save that failed, and what a reload found lost, each until dismissed. */
export function StorageNotice() {
  const problem = useStudio((state) => state.ui.storage.problem);
  const lost = useStudio((state) => state.ui.storage.lost);
  return (
    <>
      {lost ? (
        <Notice tone="warning" message={lost.message} hint={lost.hint} onDismiss={dismissStorageLoss} />
      ) : null}
      {problem ? (
        <Notice
          tone="warning"
          message={problem.message}
          hint={problem.hint}
          onDismiss={dismissStorageProblem}
        />
      ) : null}
    </>
  );
}
