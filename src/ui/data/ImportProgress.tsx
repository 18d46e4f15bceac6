import { cancelImport } from '../../state/data.ts';
import { useStudio } from '../../state/store.ts';
import type { DataProgress } from '../../state/slices.ts';
import { formatBytes, formatCount, formatRate } from '../format.ts';
import { ProgressBar } from '../shell/ProgressBar.tsx';

const STAGES: Record<DataProgress['stage'], string> = {
  reading: 'Reading',
  parsing: 'Parsing',
  checking: 'Checking rows',
  splitting: 'Splitting',
  tokenizing: 'Tokenizing',
  encoding: 'Encoding',
};

export function progressDetail(progress: DataProgress): string {
  const amount =
    progress.unit === 'bytes'
      ? `${formatBytes(progress.done)}${progress.total ? ` of ${formatBytes(progress.total)}` : ''}`
      : `${formatCount(progress.done)}${progress.total ? ` of ${formatCount(progress.total)}` : ''} rows`;
  const rows = progress.unit === 'bytes' && progress.rows ? ` · ${formatCount(progress.rows)} rows` : '';
  const rate = formatRate(progress.ratePerSec, progress.unit === 'bytes' ? 'bytes' : 'rows');
  return `${amount}${rows}${rate ? ` · ${rate}` : ''}`;
}

export function ImportProgress({ name }: { name: string }) {
  // Progress arrives ten times a second: only this component re-renders for it.
  const progress = useStudio((state) => state.data.progress);
  const value = progress?.total ? progress.done / progress.total : null;
  return (
    <section className="fs-card fs-import-progress" aria-label="Import progress">
      <ProgressBar
        label={progress ? `${STAGES[progress.stage]} ${name}` : `Opening ${name}`}
        value={value}
        {...(progress ? { detail: progressDetail(progress) } : {})}
      />
      <button type="button" className="fs-button" onClick={cancelImport}>
        Cancel import
      </button>
    </section>
  );
}
