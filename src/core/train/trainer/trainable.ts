// Which parameters a training mode updates; everything else stays fixed.
import { type Params, type ModelConfig, isBlockParameter, isHeadName } from '../../model/index.ts';
import type { TrainConfig } from '../config.ts';

/** The trainable parameters of a mode; everything else stays fixed. */
export function trainableParams(
  params: Params,
  config: TrainConfig,
  model: Pick<ModelConfig, 'modelType' | 'nLayers'>,
): Params {
  const nLayers = model.nLayers;
  const out: Params = {};
  const firstTrainable = firstTrainableLayer(config, nLayers);
  for (const [name, variable] of Object.entries(params)) {
    if (!variable.trainable) continue;
    const isHead = isHeadName(model, name);
    let trains = isHead;
    if (config.mode === 'top-k') {
      for (let layer = firstTrainable; layer < nLayers; layer++) {
        if (isBlockParameter(model, name, layer)) trains = true;
      }
    } else if (config.mode === 'full') {
      trains = !(config.freezeEmbeddings && name.includes('embeddings.'));
    }
    if (trains) out[name] = variable;
  }
  return out;
}

/** The first transformer block that trains: n_layers for head-only, n_layers − k for top-k, 0 for full. */
export function firstTrainableLayer(config: TrainConfig, nLayers: number): number {
  if (config.mode === 'head') return nLayers;
  if (config.mode === 'top-k') return nLayers - Math.min(config.layers, nLayers);
  return 0;
}
