import { useMemo } from 'react';
import { estimateModes, type TrainingMode } from '../../state/estimates.ts';
import { useStudio } from '../../state/store.ts';
import type { ModelSummary } from '../../state/types.ts';
import { formatBytes, formatCount, formatDuration } from '../format.ts';

const MODE_NAMES: Record<TrainingMode, string> = {
  head: 'Head only (Quick)',
  'top-k': 'Top 2 layers + head (Balanced)',
  full: 'Full fine-tuning (Thorough)',
};

const BATCH = 16;

/** Memory and time per epoch for each training mode, for this dataset on this backend. */
export function Estimates({ summary }: { summary: ModelSummary }) {
  const analysis = useStudio((state) => state.data.analysis);
  const confirmed = useStudio((state) => state.data.confirmed);
  const stats = useStudio((state) => state.data.tokenStats);
  const maxLength = useStudio((state) => state.data.maxLength) ?? 128;
  const timingPending = useStudio((state) => state.model.timingPending);
  const tokensPerExample = useMemo(() => {
    if (!stats || stats.lengths.length === 0) return maxLength;
    let sum = 0;
    for (const length of stats.lengths) sum += Math.min(length, maxLength);
    // Batches are padded to their longest text: count a margin over the mean.
    return Math.min(maxLength, (sum / stats.lengths.length) * 1.25);
  }, [stats, maxLength]);
  if (!analysis?.splits || !confirmed) {
    return (
      <section className="fs-card" aria-labelledby="fs-estimates-title">
        <h3 id="fs-estimates-title">Estimates</h3>
        <p className="fs-muted">
          Memory and time per epoch for each training mode appear once the Data step has a confirmed dataset.
        </p>
      </section>
    );
  }
  const sizes = analysis.splits.sizes;
  const estimates = estimateModes({
    layers: summary.layers,
    dim: summary.dim,
    hiddenDim: summary.hiddenDim,
    heads: summary.heads,
    numLabels: Math.max(analysis.labels.length, 1),
    parameters: summary.parameters,
    timing: summary.forwardTiming,
    trainExamples: sizes.train,
    evalExamples: sizes.validation,
    tokensPerExample,
    batchSize: BATCH,
    topLayers: Math.min(2, summary.layers),
  });
  return (
    <section className="fs-card" aria-labelledby="fs-estimates-title">
      <h3 id="fs-estimates-title">Estimates</h3>
      <p className="fs-muted fs-small">
        {formatCount(sizes.train)} training examples, about {Math.round(tokensPerExample)} tokens each, batch{' '}
        {BATCH}, on this backend. Rough figures from timed forward passes
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
              <td className="fs-num">≈ {formatBytes(estimate.memoryBytes)}</td>
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
