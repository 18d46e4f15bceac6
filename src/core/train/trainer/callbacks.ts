// The loop's extension points: small callbacks a caller passes in TrainOptions.callbacks, each with
// the loop's own behaviour as the default.
//   onEvaluate     after every validation evaluation; may end the run (a pruned search trial);
//   loss           the training objective (default: the weighted, smoothed cross-entropy or BCE;
//                  distillation gives its own);
//   featureEngine  the frozen part's forward pass when features are cached (default: tfjs).
import type { ForwardEngine, ForwardOutput } from '../../infer/index.ts';
import type { EvalReport } from '../events.ts';
import type { TrainingLoss } from '../losses.ts';
import type { TrainModel } from './options.ts';

export interface Evaluation {
  step: number;
  epoch: number;
  report: EvalReport;
  /** The metric the best checkpoint follows, and its value in this evaluation. */
  metric: string;
  value: number;
  isBest: boolean;
}

/**
 * Builds the engine that computes frozen features (core/infer's ForwardEngine): `features` for
 * head-only, `hidden` after the frozen blocks for top-k. Called once per run that caches.
 */
export type FeatureEngineFactory = (
  model: TrainModel,
  output: ForwardOutput,
) => ForwardEngine | Promise<ForwardEngine>;

export interface TrainerCallbacks {
  /** Return `{ stop: message }` to end the run after this evaluation (reason `stopped`). */
  onEvaluate?(evaluation: Evaluation): void | { stop: string } | Promise<void | { stop: string }>;
  /** The training loss of each micro-batch (default: the label loss of the settings). Evaluation always scores the labels. */
  loss?: TrainingLoss;
  featureEngine?: FeatureEngineFactory;
}
