// When a run's checkpoints are taken: the best weights at each new best evaluation, and the
// state to resume from at each epoch end but the last. The train worker (which posts them for
// persistence) and any other caller subscribe with the same listener, so the rule lives here.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, Params } from '../../model/index.ts';
import type { TrainConfig } from '../config.ts';
import type { TrainController } from './controller.ts';
import type { ResumeState } from './state.ts';
import { trainableParams } from './trainable.ts';

export interface CheckpointHandlers {
  /** A new best checkpoint: the trainable weights at that step. */
  best?(checkpoint: { step: number; epoch: number; weights: Map<string, Float32Array> }): void;
  /** The state to resume from, captured once the epoch's evaluation is done. */
  epoch?(state: ResumeState): void;
  /** A checkpoint that could not be taken; the run goes on. */
  failed(error: unknown, step: number): void;
}

/**
 * Copies the trainable variables on the device right now (a cheap GPU copy, so the loop can go
 * on at once) and reads the copies back in the background.
 */
export function snapshotTrainable(
  model: { params: Params; config: Pick<ModelConfig, 'modelType' | 'nLayers'> },
  config: TrainConfig,
): Promise<Map<string, Float32Array>> {
  const trainable = trainableParams(model.params, config, model.config);
  const copies = Object.entries(trainable).map(([name, variable]) => [name, tf.clone(variable)] as const);
  return (async () => {
    const out = new Map<string, Float32Array>();
    try {
      for (const [name, copy] of copies) out.set(name, (await copy.data()) as Float32Array);
    } finally {
      tf.dispose(copies.map(([, copy]) => copy));
    }
    return out;
  })();
}

/** Subscribes the checkpoint rule to a controller; returns the unsubscribe function. */
export function watchCheckpoints(
  controller: TrainController,
  model: { params: Params; config: Pick<ModelConfig, 'modelType' | 'nLayers'> },
  config: TrainConfig,
  handlers: CheckpointHandlers,
): () => void {
  return controller.on((event) => {
    if (event.type === 'eval' && event.isBest && handlers.best) {
      const { step, epoch } = event;
      const best = handlers.best;
      void snapshotTrainable(model, config)
        .then((weights) => best({ step, epoch, weights }))
        .catch((error: unknown) => handlers.failed(error, step));
    }
    if (event.type === 'epoch' && event.epoch < config.epochs && handlers.epoch) {
      const { step } = event;
      const epoch = handlers.epoch;
      controller
        .resumeState()
        .then((state) => epoch(state))
        .catch((error: unknown) => handlers.failed(error, step));
    }
  });
}
