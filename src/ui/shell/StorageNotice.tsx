import { useStudio } from '../../state/store.ts';
import { dismissStorageProblem } from '../../state/ui.ts';
import { Notice } from './Notice.tsx';

export function StorageNotice() {
  const problem = useStudio((state) => state.ui.storage.problem);
  if (!problem) return null;
  return (
    <Notice tone="warning" message={problem.message} hint={problem.hint} onDismiss={dismissStorageProblem} />
  );
}
