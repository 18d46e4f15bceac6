import { useMemo } from 'react';
import { estimateModes, paddedTokensPerExample, type ModeEstimate } from '../../core/train/index.ts';
import { useStudio } from '../../state/store.ts';

/**
 * Memory and time of each training mode for the loaded model and the confirmed dataset at this
 * batch, max length and number of top layers; null until both steps are done.
 */
export function useModeEstimates(options: {
  batchSize: number;
  topLayers: number;
  maxLength?: number;
}): { estimates: ModeEstimate[]; tokensPerExample: number; trainExamples: number } | null {
  const summary = useStudio((state) => state.model.summary);
  const analysis = useStudio((state) => state.data.analysis);
  const confirmed = useStudio((state) => state.data.confirmed);
  const stats = useStudio((state) => state.data.tokenStats);
  const dataMaxLength = useStudio((state) => state.data.maxLength);
  const maxLength = options.maxLength ?? dataMaxLength ?? 128;
  const tokensPerExample = useMemo(
    () => paddedTokensPerExample(stats?.lengths ?? [], maxLength),
    [stats, maxLength],
  );
  return useMemo(() => {
    if (!summary || !analysis?.splits || !confirmed) return null;
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
      batchSize: options.batchSize,
      topLayers: Math.min(options.topLayers, summary.layers),
    });
    return { estimates, tokensPerExample, trainExamples: sizes.train };
  }, [summary, analysis, confirmed, tokensPerExample, options.batchSize, options.topLayers]);
}
