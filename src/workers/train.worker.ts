// The train worker: tfjs lives here. It starts the compute backend, loads models for the Model
// step, trains runs, answers the playground's predictions and builds the export zip, so the page
// only renders what it is sent.
import { initWorkerBackend, onDeviceLost } from './backend.ts';
import { featureStoreAction } from './featureStore.ts';
import { handleLoadModel } from './modelHost.ts';
import { cancelMap, computeMap } from './mapHost.ts';
import { cancelSuggest, suggestNext } from './suggestHost.ts';
import { cancelLabelIssues, findLabelIssues } from './qualityHost.ts';
import { adoptSearchBest, controlSearch, runSearch } from './searchHost.ts';
import {
  errorMessage,
  transferablesOf,
  unreachable,
  type TrainCommand,
  type TrainEvent,
} from './protocol.ts';
import {
  attachRun,
  controlRun,
  dropRun,
  exportRun,
  loadStudent,
  predict,
  predictionSpeed,
  startRun,
} from './runHost.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(event: TrainEvent): void {
  scope.postMessage(event, transferablesOf(event));
}

onDeviceLost((message) => post({ type: 'deviceLost', message }));

scope.addEventListener('message', (message: MessageEvent<TrainCommand>) => {
  const command = message.data;
  switch (command.type) {
    case 'init':
      initWorkerBackend(command.backend, command.threads)
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
      void startRun(command, post);
      return;
    case 'control':
      controlRun(command.runId, command.action);
      return;
    case 'update':
      controlRun(command.runId, { settings: command.settings });
      return;
    case 'attachRun':
      try {
        attachRun(command);
        post({ type: 'attached', requestId: command.requestId, runId: command.runId });
      } catch (error) {
        post({
          type: 'error',
          requestId: command.requestId,
          message: `The saved checkpoint could not be read: ${errorMessage(error)}`,
        });
      }
      return;
    case 'dropRun':
      dropRun(command.runId);
      return;
    case 'loadStudent':
      void loadStudent(command, post);
      return;
    case 'predict':
      predict(command.runId, command.ids, command.offsets, command.tokenizer)
        .then(({ probabilities, numLabels }) =>
          post({ type: 'predictions', requestId: command.requestId, probabilities, numLabels }),
        )
        .catch((error: unknown) =>
          post({ type: 'error', requestId: command.requestId, message: errorMessage(error) }),
        );
      return;
    case 'predictionSpeed':
      predictionSpeed(command.runs)
        .then(({ rowsPerSecond, rows }) =>
          post({ type: 'predictionSpeed', requestId: command.requestId, rowsPerSecond, rows }),
        )
        .catch((error: unknown) =>
          post({ type: 'error', requestId: command.requestId, message: errorMessage(error) }),
        );
      return;
    case 'exportRun':
      exportRun(command.runId, command.request)
        .then(({ zip, notes }) => post({ type: 'exported', requestId: command.requestId, zip, notes }))
        .catch((error: unknown) =>
          post({
            type: 'error',
            requestId: command.requestId,
            message: `The export failed: ${errorMessage(error)}`,
            hint: 'The run and its checkpoint are kept; try again, or export from the command line.',
          }),
        );
      return;
    case 'featureStore':
      featureStoreAction(command.action)
        .then((listing) => post({ type: 'featureStore', requestId: command.requestId, listing }))
        .catch((error: unknown) =>
          post({
            type: 'error',
            requestId: command.requestId,
            message: `The kept feature caches could not be read or changed: ${errorMessage(error)}`,
          }),
        );
      return;
    case 'labelIssues':
      void findLabelIssues(command, post);
      return;
    case 'cancelLabelIssues':
      cancelLabelIssues(command.requestId);
      return;
    case 'map':
      void computeMap(command, post);
      return;
    case 'cancelMap':
      cancelMap(command.requestId);
      return;
    case 'suggest':
      void suggestNext(command, post);
      return;
    case 'cancelSuggest':
      cancelSuggest(command.requestId);
      return;
    case 'search':
      void runSearch(command, post);
      return;
    case 'controlSearch':
      controlSearch(command.requestId, command.action);
      return;
    case 'adoptSearchBest':
      adoptSearchBest(command, post);
      return;
    default:
      unreachable(command);
  }
});
