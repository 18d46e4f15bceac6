// The ONNX graphs a model's inference engines run, written by the studio's own ONNX writer from
// the model's current weights, once per model and output kind, and kept with the model (or the
// finished run) for as long as it lives.
import { type ModelConfig, configToJson } from '../model/index.ts';
import { buildOnnx, namedTensorsFromParams, type ReadableParam, type NamedTensor } from '../export/index.ts';
import type { ForwardOutput } from './engine.ts';

function outputKey(output: ForwardOutput): string {
  return output.kind === 'hidden' ? `hidden:${output.layers}` : output.kind;
}

export class ModelGraphs {
  private readonly graphs = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly config: ModelConfig,
    private readonly params: Readonly<Record<string, ReadableParam>>,
  ) {}

  /** The graph's bytes; written on first use from the weights as they are then. */
  graph(output: ForwardOutput): Promise<Uint8Array> {
    const key = outputKey(output);
    let bytes = this.graphs.get(key);
    if (!bytes) {
      bytes = this.write(output);
      this.graphs.set(key, bytes);
      bytes.catch(() => this.graphs.delete(key));
    }
    return bytes;
  }

  private async write(output: ForwardOutput): Promise<Uint8Array> {
    const weights: readonly NamedTensor[] = await namedTensorsFromParams(this.params);
    const labels = output.kind === 'logits' ? this.config.id2label : [];
    return buildOnnx(configToJson(this.config), weights, labels, { output });
  }
}
