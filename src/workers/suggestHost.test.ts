import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { centredDirections, uncertaintyScores, type Suggestion } from '../core/active/index.ts';
import { defaultTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { syntheticData, syntheticModel } from '../core/train/test-support/synthetic.ts';
import type { TrainEvent } from './protocol.ts';

vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
const base = { ...syntheticModel({ layers: 2, seed: 5 }), report: {} as never, tokenizerFiles: {} };
// onnxruntime-node stands in for onnxruntime-web, whose wasm the page's bundler places.
vi.mock('./ort-runtime.ts', async () => {
  const { loadNodeOrt } = await import('../node/ort-runtime.ts');
  return { loadWebOrt: () => loadNodeOrt(), wasmThreads: () => 1 };
});
vi.mock('./modelHost.ts', () => ({ currentModel: () => base, currentModelSource: () => 'synthetic' }));
const { predict, startRun, withRunEngines } = await import('./runHost.ts');
const { cancelSuggest, suggestNext } = await import('./suggestHost.ts');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = syntheticData({ train: 32, validation: 8, test: 24 });
const config: TrainConfig = {
  ...defaultTrainConfig('full'),
  epochs: 1,
  batchSize: 8,
  evalBatchSize: 16,
  learningRate: 3e-3,
  dropout: false,
};
// The candidates: the test split's token rows, as the page sends the unlabelled rows.
const candidates = { ids: data.test.ids.slice(), offsets: data.test.offsets.slice() };

async function suggest(count: number, radius: number, requestId = 'suggest') {
  const events: TrainEvent[] = [];
  const request = {
    type: 'suggest' as const,
    requestId,
    runId: 'run',
    ids: candidates.ids,
    offsets: candidates.offsets,
    maxLength: data.maxLength,
    count,
    strategy: 'margin' as const,
    radius,
  };
  const done = suggestNext(request, (event) => events.push(event));
  return { done, events };
}

function outcome(events: TrainEvent[]): { suggestions: Suggestion[]; candidates: number } {
  const error = events.find((event) => event.type === 'error');
  if (error && error.type === 'error') throw new Error(error.message);
  const found = events.find((event) => event.type === 'suggestions');
  if (!found || found.type !== 'suggestions') throw new Error('no suggestions');
  return found;
}

describe('the rows to label next, in the train worker', () => {
  it('ranks the candidates by the run’s own predictions, and keeps the batch apart', async () => {
    await startRun({ type: 'train', runId: 'run', config, data }, () => undefined);
    const { done, events } = await suggest(10, 0.5);
    await done;
    const { suggestions, candidates: total } = outcome(events);
    expect(total).toBe(24);
    expect(suggestions.length).toBeGreaterThan(1);
    expect(suggestions.length).toBeLessThanOrEqual(10);
    expect(events.some((event) => event.type === 'suggestProgress')).toBe(true);

    // The scores are the margins of the probabilities `predict` gives for the same rows.
    const { probabilities, numLabels } = await predict('run', candidates.ids, candidates.offsets);
    const margins = uncertaintyScores(probabilities, numLabels, 'margin');
    for (const s of suggestions) {
      expect(s.score).toBeCloseTo(margins[s.index]!, 4);
      const row = Array.from(probabilities.subarray(s.index * numLabels, (s.index + 1) * numLabels));
      expect(s.predicted).toEqual([row.indexOf(Math.max(...row))]);
    }
    expect(suggestions[0]!.score).toBeCloseTo(Math.max(...margins), 4);

    // No two chosen rows are nearer than the radius, in the run's centred feature directions.
    const features = await withRunEngines('run', async (engines) => {
      const out = new Float32Array(24 * base.config.dim);
      for (let i = 0; i < 24; i++) {
        const from = candidates.offsets[i]!;
        const to = candidates.offsets[i + 1]!;
        const row = await engines.features.run({
          ids: candidates.ids.slice(from, to),
          mask: new Int32Array(to - from).fill(1),
          batchSize: 1,
          seqLength: to - from,
        });
        out.set(row, i * base.config.dim);
      }
      return out;
    });
    const directions = centredDirections(features, 24, base.config.dim);
    const dim = base.config.dim;
    for (const a of suggestions) {
      for (const b of suggestions) {
        if (a.index >= b.index) continue;
        let squared = 0;
        for (let j = 0; j < dim; j++) {
          squared += (directions[a.index * dim + j]! - directions[b.index * dim + j]!) ** 2;
        }
        expect(Math.sqrt(squared)).toBeGreaterThanOrEqual(0.5 - 1e-4);
      }
    }
  }, 120_000);

  it('stops on a cancel, and says so in one line', async () => {
    const { done, events } = await suggest(5, 0, 'stopped');
    cancelSuggest('stopped');
    await done;
    expect(() => outcome(events)).toThrow(/^Ranking the rows to label was stopped\.$/);
  }, 60_000);

  it('refuses an unknown run and no candidates in one line', async () => {
    const events: TrainEvent[] = [];
    const request = {
      type: 'suggest' as const,
      requestId: 'none',
      runId: 'run',
      ids: new Int32Array(0),
      offsets: new Int32Array(1),
      maxLength: data.maxLength,
      count: 5,
      strategy: 'entropy' as const,
      radius: 0.2,
    };
    await suggestNext(request, (event) => events.push(event));
    expect(() => outcome(events)).toThrow(/no unlabelled rows to rank/);
    events.length = 0;
    await suggestNext(
      { ...request, runId: 'nobody', ids: candidates.ids, offsets: candidates.offsets },
      (event) => events.push(event),
    );
    expect(() => outcome(events)).toThrow(/no trained weights in memory/);
    // Rows encoded by another run's tokenizer would be scored as other tokens.
    events.length = 0;
    await suggestNext(
      { ...request, ids: candidates.ids, offsets: candidates.offsets, tokenizer: 'another-run' },
      (event) => events.push(event),
    );
    expect(() => outcome(events)).toThrow(/encoded with another run's tokenizer/);
  }, 60_000);
});
