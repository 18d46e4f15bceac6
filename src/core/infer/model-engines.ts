// Engines bound to a model: its graphs are written once per model (by parameter set) and kept
// while the model lives, so a second head-only run, the evaluation after it and the playground
// reuse the graph instead of writing it again.
import type { ModelConfig, Params } from '../model/index.ts';
import type { ForwardEngine, ForwardOutput } from './engine.ts';
import { ModelGraphs } from './graphs.ts';
import { openForwardEngine } from './open.ts';
import type { OrtRuntime } from './ort-engine.ts';

export interface EngineModel {
  config: ModelConfig;
  params: Params;
}

const graphsByParams = new WeakMap<Params, ModelGraphs>();

/**
 * The model's graphs. Keyed by the parameter set: a model whose frozen weights change (a fully
 * fine-tuned copy) is a different parameter set, so it never meets a stale graph.
 */
export function modelGraphs(model: EngineModel): ModelGraphs {
  let graphs = graphsByParams.get(model.params);
  if (!graphs) {
    graphs = new ModelGraphs(model.config, model.params);
    graphsByParams.set(model.params, graphs);
  }
  return graphs;
}

/**
 * Opens engines for models on one runtime (null: the tfjs forward pass); what the training
 * loop's featureEngine callback and the classify path take.
 */
export function engineOpener(
  runtime: OrtRuntime | null,
): (model: EngineModel, output: ForwardOutput) => Promise<ForwardEngine> {
  return (model, output) => openForwardEngine({ runtime, ...model, graphs: modelGraphs(model), output });
}
