import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../core/train/config.ts';
import {
  checkDistillationChoice,
  checkStudentModelChoice,
  defaultDistillation,
  distillationArgs,
  teacherBlocker,
  teacherDataBlocker,
} from './distill.ts';
import { emptyProgress, type RunRecord } from './record.ts';

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: 'r1',
    name: 'Run 1',
    createdAt: 0,
    status: 'done',
    settings: defaultTrainConfig('full'),
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
    ...overrides,
  };
}

describe('distillation choices', () => {
  it.each([
    [6, 3],
    [2, 1],
    [3, 1],
    [12, 6],
  ])('a %i-layer teacher starts the form at %i student layers, α 0.5, T 2', (teacherLayers, layers) => {
    expect(defaultDistillation(teacherLayers)).toEqual({ layers, alpha: 0.5, temperature: 2 });
    expect(checkDistillationChoice(defaultDistillation(teacherLayers), teacherLayers)).toEqual([]);
  });

  it.each([
    [{ layers: 2, alpha: 0.5, temperature: 2 }, 2, 'The student has 1 to 1 layers, got 2.'],
    [{ layers: 0, alpha: 0.5, temperature: 2 }, 6, 'The student has 1 to 5 layers, got 0.'],
    [{ layers: 1.5, alpha: 0.5, temperature: 2 }, 6, 'The student has 1 to 5 layers, got 1.5.'],
    [{ layers: 1, alpha: 1.5, temperature: 2 }, 6, 'Alpha must be between 0 and 1, got 1.5.'],
    [{ layers: 1, alpha: 0.5, temperature: 0 }, 6, 'Temperature must be a positive number, got 0.'],
    [
      { layers: 1, alpha: 0.5, temperature: 2 },
      1,
      'The teacher has a single layer: there is no smaller student to take from it.',
    ],
  ])('refuses %j for a %i-layer teacher in one line', (choice, teacherLayers, message) => {
    expect(checkDistillationChoice(choice, teacherLayers)).toEqual([message]);
  });

  it('a teacher must have finished with kept weights', () => {
    expect(teacherBlocker(run({ best: { step: 4, epoch: 1, value: 0.3 } }))).toBeNull();
    expect(teacherBlocker(run({ status: 'stopped', saved: { final: true } }))).toBeNull();
    expect(teacherBlocker(run({ status: 'running', best: { step: 4, epoch: 1, value: 0.3 } }))).toBe(
      'Run 1 has not finished.',
    );
    expect(teacherBlocker(run({}))).toBe('Run 1 kept no weights to learn from.');
  });

  it('names the teacher, α, T and the teacher blocks the student took in training_args.json', () => {
    const args = distillationArgs(
      { teacherRunId: 'r1', teacherName: 'Run 1', teacherLayers: 6, layers: 3, alpha: 0.3, temperature: 4 },
      { accuracy: 0.9 },
    );
    expect(args).toEqual({
      teacher: 'Run 1',
      teacher_layers: 6,
      alpha: 0.3,
      temperature: 4,
      student: { layers: 3, teacher_layers: [0, 2, 4] },
      teacher_test: { accuracy: 0.9 },
    });
  });

  it('names a student model and its layers in training_args.json, as the command line does', () => {
    const args = distillationArgs({
      teacherRunId: 'r1',
      teacherName: 'Run 1',
      teacherLayers: 6,
      layers: 4,
      alpha: 0.5,
      temperature: 2,
      studentModel: { id: 'owner/tiny', hub: { repo: 'owner/tiny', revision: 'main' } },
    });
    expect(args.student).toEqual({ model: 'owner/tiny', layers: 4 });
  });
});

describe('a student that is another model', () => {
  const file = (name: string) => new File(['{}'], name);

  it.each([
    [{ kind: 'hub' as const, id: 'owner/name' }, []],
    [{ kind: 'hub' as const, id: 'owner/name@v2' }, []],
    [{ kind: 'hub' as const, id: ' ' }, ['Type the student’s Hub id, e.g. prajjwal1/bert-tiny.']],
    [
      { kind: 'hub' as const, id: 'not a repo' },
      ['"not a repo" is not a Hub repository id: type it as owner/name or owner/name@revision.'],
    ],
    [{ kind: 'files' as const, files: [] }, ['Choose the student’s model folder.']],
    [{ kind: 'files' as const, files: [file('config.json'), file('model.safetensors')] }, []],
    [
      { kind: 'files' as const, files: [file('notes.txt')] },
      ['notes.txt is not a model folder: it has no config.json.'],
    ],
  ])('checks %j before loading', (choice, problems) => {
    expect(checkStudentModelChoice(choice)).toEqual(problems);
  });

  it('refuses a teacher that learned other labels than the data’s, in one line', () => {
    const teacher = run({ labels: ['a', 'b'] });
    expect(teacherDataBlocker(teacher, { labels: ['b', 'a'], multiLabel: false })).toBeNull();
    expect(teacherDataBlocker(teacher, { labels: ['a', 'b', 'c'], multiLabel: false })).toBe(
      'Run 1 learned a, b; the data now has a, b, c.',
    );
    expect(teacherDataBlocker(teacher, { labels: ['a', 'b'], multiLabel: true })).toBe(
      'Run 1 is a single-label classifier; the data is multi-label.',
    );
  });
});
