// Opens the engine for a model's forward pass on the runtime the platform loaded.
import type { ModelConfig, Params } from '../model/index.ts';
import type { ForwardEngine, ForwardOutput } from './engine.ts';
import type { ModelGraphs } from './graphs.ts';
import { ortEngine, type OrtRuntime } from './ort-engine.ts';
import { tfjsEngine } from './tfjs-engine.ts';

/**
 * The engine for a model's frozen forward pass: ONNX Runtime over the model's graph when the
 * platform loaded one (`runtime`), else the tfjs forward pass.
 */
export async function openForwardEngine(options: {
  runtime: OrtRuntime | null;
  config: ModelConfig;
  params: Params;
  graphs: ModelGraphs;
  output: ForwardOutput;
}): Promise<ForwardEngine> {
  const { runtime, config, params, graphs, output } = options;
  if (!runtime) return tfjsEngine(params, config, output);
  return ortEngine(runtime, await graphs.graph(output), output);
}
