// The data worker, created once on first use and kept for the page's lifetime (a fresh worker per
// request would re-read the file and reload the tokenizer each time). The train worker's client
// lives in runs.ts (`trainWorkerClient`), beside the runs it drives.
import type { DataCommand, DataEvent } from '../workers/protocol.ts';
import { trainWorkerClient } from './runs.ts';
import { WorkerClient } from './workerClient.ts';

export type DataWorkerClient = WorkerClient<DataCommand, DataEvent>;

let dataClient: DataWorkerClient | null = null;

export function dataWorker(): DataWorkerClient {
  dataClient ??= new WorkerClient<DataCommand, DataEvent>(
    () => new Worker(new URL('../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'data' }),
    'data',
  );
  return dataClient;
}

export const trainWorker = trainWorkerClient;
