import { useEffect, useState } from 'react';
import { useStudio } from '../../state/store.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { ProgressBar } from '../shell/ProgressBar.tsx';

/** Bytes downloaded of every file, the total size and the time left. */
export function DownloadProgress() {
  const files = useStudio((state) => state.model.files);
  const startedAt = useStudio((state) => state.model.startedAt);
  const label = useStudio((state) => state.model.sourceLabel);
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const list = Object.values(files).filter((file) => !file.fromCache);
  const loaded = list.reduce((sum, file) => sum + file.loaded, 0);
  const known = list.every((file) => file.total !== null);
  const total = list.reduce((sum, file) => sum + (file.total ?? file.loaded), 0);
  const elapsed = startedAt ? (now - startedAt) / 1000 : 0;
  const rate = elapsed > 0.5 ? loaded / elapsed : 0;
  const left = known && rate > 0 ? (total - loaded) / rate : null;
  const detail =
    list.length === 0
      ? 'Reading files…'
      : `${formatBytes(loaded)} of ${known ? formatBytes(total) : 'unknown size'}${rate ? ` · ${formatBytes(rate)}/s` : ''}${
          left !== null && loaded < total ? ` · ${formatDuration(left)} left` : ''
        }`;
  return (
    <section className="fs-card" aria-label="Model download">
      <ProgressBar
        label={`Loading ${label ?? 'the model'}`}
        value={known && total > 0 ? loaded / total : null}
        detail={detail}
      />
      {list.length > 0 ? (
        <ul className="fs-file-list">
          {list.map((file) => (
            <li key={file.file}>
              <span>{file.file}</span>
              <span className="fs-muted">
                {formatBytes(file.loaded)}
                {file.total ? ` / ${formatBytes(file.total)}` : ''}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
