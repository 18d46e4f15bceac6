// The rows to label next, in the train worker: a finished run's probabilities and pooled features
// of the candidate rows the page encoded, ranked by core/active's one suggestion path. A cancel
// lands between feature batches.
import { candidateOutputs, suggestRows } from '../core/active/index.ts';
import { errorMessage, type TrainCommand, type TrainEvent } from './protocol.ts';
import { withRunEngines } from './runHost.ts';

type Post = (event: TrainEvent) => void;
type SuggestRequest = Extract<TrainCommand, { type: 'suggest' }>;

const requests = new Map<string, AbortController>();

export function cancelSuggest(requestId: string): void {
  requests.get(requestId)?.abort();
}

export async function suggestNext(command: SuggestRequest, post: Post): Promise<void> {
  const { requestId, runId, ids, offsets, tokenizer, maxLength, count, strategy, radius } = command;
  const controller = new AbortController();
  const started = performance.now();
  requests.set(requestId, controller);
  const candidates = offsets.length - 1;
  let lastPost = 0;
  try {
    if (candidates < 1) throw new Error('there are no unlabelled rows to rank');
    const outputs = await withRunEngines(
      runId,
      (engines, config) =>
        candidateOutputs(
          engines,
          config,
          { ids, offsets },
          { padTokenId: config.padTokenId, maxLength },
          {
            signal: controller.signal,
            onProgress: (done, total) => {
              const now = performance.now();
              if (done < total && now - lastPost < 150) return;
              lastPost = now;
              post({ type: 'suggestProgress', requestId, done, total });
            },
          },
        ),
      tokenizer,
    );
    controller.signal.throwIfAborted();
    post({
      type: 'suggestions',
      requestId,
      suggestions: suggestRows(outputs, { count, strategy, radius }),
      candidates,
      seconds: (performance.now() - started) / 1000,
    });
  } catch (error) {
    post(
      controller.signal.aborted
        ? { type: 'error', requestId, message: 'Ranking the rows to label was stopped.' }
        : { type: 'error', requestId, message: `Ranking the rows to label failed: ${errorMessage(error)}` },
    );
  } finally {
    requests.delete(requestId);
  }
}
