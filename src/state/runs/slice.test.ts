import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { defaultTrainConfig } from '../../core/train/config.ts';
import { createStudioState, type StudioState } from '../store.ts';
import { emptyProgress, type RunRecord } from './record.ts';

function run(id: string, name = id): RunRecord {
  return {
    id,
    name,
    createdAt: 0,
    status: 'done',
    settings: defaultTrainConfig('head'),
    liveSettings: {},
    dataVersion: 0,
    modelId: 'tiny',
    labels: ['a', 'b'],
    multiLabel: false,
    bestMetric: 'loss',
    steps: [],
    evals: [],
    progress: emptyProgress,
    notices: [],
  };
}

describe('runs slice', () => {
  it('keeps runs in creation order, makes a new run active, and grows series without losing points', () => {
    const store = createStore<StudioState>()(createStudioState);
    store.getState().addRun(run('r1'));
    store.getState().addRun(run('r2'));
    expect(store.getState().runOrder).toEqual(['r1', 'r2']);
    expect(store.getState().activeRunId).toBe('r2');
    const before = store.getState().runs.r1;
    store.getState().appendRunSeries('r1', [{ step: 1, epoch: 0.1, loss: 0.7, lr: 1e-3 }], []);
    store
      .getState()
      .appendRunSeries(
        'r1',
        [{ step: 2, epoch: 0.2, loss: 0.6, lr: 1e-3 }],
        [{ step: 2, epoch: 0.2, metrics: { loss: 0.65, accuracy: 0.6 } }],
      );
    const after = store.getState().runs.r1!;
    expect(after).not.toBe(before);
    expect(after.steps.map((p) => p.step)).toEqual([1, 2]);
    expect(after.evals).toHaveLength(1);
  });

  it('deleting the active run shows the newest remaining one and forgets it in overlays', () => {
    const store = createStore<StudioState>()(createStudioState);
    for (const id of ['r1', 'r2', 'r3']) store.getState().addRun(run(id));
    store.getState().toggleOverlay('r1');
    store.getState().setActiveRun('r1');
    expect(store.getState().overlayRunIds).toEqual([]);
    store.getState().toggleOverlay('r2');
    store.getState().removeRun('r1');
    expect(store.getState().activeRunId).toBe('r3');
    store.getState().removeRun('r2');
    expect(store.getState().overlayRunIds).toEqual([]);
    expect(store.getState().runOrder).toEqual(['r3']);
  });

  it('restores a saved project with its active run, or the newest', () => {
    const store = createStore<StudioState>()(createStudioState);
    store.getState().replaceRuns([run('a'), run('b')], 'a');
    expect(store.getState().activeRunId).toBe('a');
    store.getState().replaceRuns([run('a'), run('b')], null);
    expect(store.getState().activeRunId).toBe('b');
    store.getState().replaceRuns([], null);
    expect(store.getState().activeRunId).toBeNull();
  });
});
