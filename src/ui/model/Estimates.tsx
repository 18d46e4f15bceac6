import { memoryCeiling, type TrainMode } from '../../core/train/index.ts';
import { useStudio } from '../../state/store.ts';
import type { ModelSummary } from '../../state/types.ts';
import { formatBytes, formatCount, formatDuration } from '../format.ts';
import { useModeEstimates } from './useModeEstimates.ts';

const MODE_NAMES: Record<TrainMode, string> = {
  head: 'Head only (Quick)',
  'top-k': 'Top 2 layers + head (Balanced)',
  full: 'Full fine-tuning (Thorough)',
};

const BATCH = 16;

/** Memory and time per epoch for each training mode, for this dataset on this backend. */
export function Estimates({ summary }: { summary: ModelSummary }) {
  const timingPending = useStudio((state) => state.model.timingPending);
  const backend = useStudio((state) => state.model.backend.report?.name);
  const computed = useModeEstimates({ batchSize: BATCH, topLayers: Math.min(2, summary.layers) });
  if (!computed) {
    return (
      <section className="fs-card" aria-labelledby="fs-estimates-title">
        <h3 id="fs-estimates-title">Estimates</h3>
        <p className="fs-muted">
          Memory and time per epoch for each training mode appear once the Data step has a confirmed dataset.
        </p>
      </section>
    );
  }
  const { estimates, tokensPerExample, trainExamples } = computed;
  const ceiling = memoryCeiling(backend);
  return (
    <section className="fs-card" aria-labelledby="fs-estimates-title">
      <h3 id="fs-estimates-title">Estimates</h3>
      <p className="fs-muted fs-small">
        {formatCount(trainExamples)} training examples, about {Math.round(tokensPerExample)} tokens each,
        batch {BATCH}, on this backend. Rough figures from timed forward passes
        {timingPending ? ' (timing this backend now: the first passes compile its GPU programs)' : ''}.
      </p>
      <table className="fs-table">
        <thead>
          <tr>
            <th scope="col">Mode</th>
            <th scope="col" className="fs-num">
              Memory
            </th>
            <th
              scope="col"
              className="fs-num"
              title="Later runs with the same model, data and max length reuse it; head-only caches are kept across reloads (Settings → Feature caches)."
            >
              Cache (built once)
            </th>
            <th scope="col" className="fs-num">
              Time per epoch
            </th>
          </tr>
        </thead>
        <tbody>
          {estimates.map((estimate) => (
            <tr key={estimate.mode}>
              <th scope="row">{MODE_NAMES[estimate.mode]}</th>
              <td className="fs-num">
                ≈ {formatBytes(estimate.memoryBytes)}
                {ceiling !== null && estimate.memoryBytes > ceiling ? (
                  <span className="fs-warn-text"> (over WASM&rsquo;s {formatBytes(ceiling)})</span>
                ) : null}
              </td>
              <td className="fs-num">
                {estimate.cacheBytes > 0
                  ? `${formatBytes(estimate.cacheBytes)}, ${timingPending ? 'timing…' : formatDuration(estimate.cacheSeconds)}`
                  : 'none'}
              </td>
              <td className="fs-num">{timingPending ? 'timing…' : formatDuration(estimate.epochSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
