// The page's two workers, each created once on first use and kept for the page's lifetime (a fresh
// worker per request would re-read the file, reload the tokenizer or lose the trained weights).
import type { DataCommand, DataEvent, TrainCommand, TrainEvent } from '../workers/protocol.ts';
import { WorkerClient } from './workerClient.ts';

export type DataWorkerClient = WorkerClient<DataCommand, DataEvent>;
export type TrainWorkerClient = WorkerClient<TrainCommand, TrainEvent>;

let dataClient: DataWorkerClient | null = null;
let trainClient: TrainWorkerClient | null = null;

/** The data worker: opens and analyses the file, tokenizes, encodes the splits. */
export function dataWorker(): DataWorkerClient {
  dataClient ??= new WorkerClient<DataCommand, DataEvent>(
    () => new Worker(new URL('../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'data' }),
    'data',
  );
  return dataClient;
}

/**
 * The train worker: the model step loads models through it (`init`, `loadModel`) and the runs
 * actions train, predict and export through it, so the weights live in one place.
 */
export function trainWorker(): TrainWorkerClient {
  trainClient ??= new WorkerClient<TrainCommand, TrainEvent>(
    () =>
      new Worker(new URL('../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
    'training',
  );
  return trainClient;
}
