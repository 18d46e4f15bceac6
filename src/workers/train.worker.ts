// The train worker: tfjs lives here. It starts the compute backend and loads models for the Model
// step; training commands are answered by the training loop.
import { initWorkerBackend, onDeviceLost } from './backend.ts';
import { handleLoadModel } from './modelHost.ts';
import {
  errorMessage,
  transferablesOf,
  unreachable,
  type TrainCommand,
  type TrainEvent,
} from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(event: TrainEvent): void {
  scope.postMessage(event, transferablesOf(event));
}

onDeviceLost((message) => post({ type: 'deviceLost', message }));

scope.addEventListener('message', (message: MessageEvent<TrainCommand>) => {
  const command = message.data;
  switch (command.type) {
    case 'init':
      initWorkerBackend(command.backend)
        .then((backend) => post({ type: 'backend', requestId: command.requestId, backend }))
        .catch((error: unknown) =>
          post({
            type: 'error',
            requestId: command.requestId,
            message: errorMessage(error),
            hint: 'Try another browser, or enable hardware acceleration in its settings.',
          }),
        );
      return;
    case 'loadModel':
      void handleLoadModel(command, post);
      return;
    case 'train':
    case 'control':
    case 'setLr':
      post({ type: 'error', runId: command.runId, message: 'Training is not available in this build yet.' });
      return;
    case 'predict':
      post({
        type: 'error',
        requestId: command.requestId,
        message: 'Prediction is not available in this build yet.',
      });
      return;
    default:
      unreachable(command);
  }
});
