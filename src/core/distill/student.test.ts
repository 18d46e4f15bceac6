// Students taken from a teacher: which blocks, what they compute, and that they are copies.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classifierHead,
  disposeParams,
  encode,
  firstToken,
  forward,
  initParams,
  parseConfig,
} from '../model/index.ts';
import { fixture, loadFixtureModel, maxAbsDiff, refTensor } from '../model/test-support/fixtures.ts';
import { layerPrefix, parameterShapes } from '../model/weights.ts';
import { studentFromTeacher, studentLayerIndices } from './student.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('studentLayerIndices', () => {
  const cases: [number, number, number[]][] = [
    [12, 6, [0, 2, 4, 6, 8, 10]],
    [6, 3, [0, 2, 4]],
    [6, 2, [0, 3]],
    [6, 1, [0]],
    [2, 1, [0]],
    [4, 4, [0, 1, 2, 3]],
    [6, 4, [0, 1, 3, 4]],
  ];
  for (const [teacher, student, want] of cases) {
    it(`${student} of ${teacher} layers → ${want.join(', ')}`, () => {
      expect(studentLayerIndices(teacher, student)).toEqual(want);
    });
  }

  it('refuses a student deeper than its teacher, or empty', () => {
    expect(() => studentLayerIndices(2, 3)).toThrow(/1 to 2 layers, got 3/);
    expect(() => studentLayerIndices(6, 0)).toThrow(/1 to 6 layers/);
    expect(() => studentLayerIndices(6, 1.5)).toThrow(/1 to 6 layers/);
  });
});

describe('studentFromTeacher', () => {
  const config = parseConfig({
    model_type: 'distilbert',
    dim: 8,
    n_layers: 6,
    n_heads: 2,
    hidden_dim: 16,
    vocab_size: 50,
    max_position_embeddings: 16,
    id2label: { 0: 'a', 1: 'b', 2: 'c' },
  });

  it('copies the embeddings, every other block and the head, under the student’s names', () => {
    const before = tf.memory().numTensors;
    const teacher = { config, params: initParams(config, 7) };
    const student = studentFromTeacher(teacher, 3);
    expect(student.teacherLayers).toEqual([0, 2, 4]);
    expect(student.config.nLayers).toBe(3);
    expect(student.config.raw.n_layers).toBe(3);
    expect(Object.keys(student.params)).toEqual([...parameterShapes(student.config).keys()]);
    for (const [name, variable] of Object.entries(student.params)) {
      let teacherName = name;
      for (const [i, t] of [0, 2, 4].entries()) {
        if (name.startsWith(layerPrefix(teacher.config, i)))
          teacherName = layerPrefix(teacher.config, t) + name.slice(layerPrefix(teacher.config, i).length);
      }
      expect(maxAbsDiff(variable.dataSync(), teacher.params[teacherName]!.dataSync()), name).toBe(0);
    }
    // Training the student (an assignment) leaves the teacher as it was.
    const name = `${layerPrefix(teacher.config, 1)}ffn.lin1.weight`;
    const teacherValues = Float32Array.from(
      teacher.params[`${layerPrefix(teacher.config, 2)}ffn.lin1.weight`]!.dataSync(),
    );
    tf.tidy(() => student.params[name]!.assign(tf.zerosLike(student.params[name]!)));
    expect(
      maxAbsDiff(
        teacher.params[`${layerPrefix(teacher.config, 2)}ffn.lin1.weight`]!.dataSync(),
        teacherValues,
      ),
    ).toBe(0);
    disposeParams(student.params);
    disposeParams(teacher.params);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a 1-layer student of the fixture computes the teacher’s first block and head', async () => {
    const fx = fixture('distilbert-tiny-seqcls');
    const teacher = await loadFixtureModel(fx);
    const student = studentFromTeacher(teacher, 1);
    const ids = refTensor(fx, 'input_ids') as tf.Tensor2D;
    const mask = refTensor(fx, 'attention_mask') as tf.Tensor2D;
    const [got, want, whole] = tf.tidy(() => {
      const studentLogits = forward(student.params, student.config, ids, mask, { training: false }).logits;
      const hidden = encode(teacher.params, teacher.config, ids, mask, { training: false, toLayer: 1 });
      const truncated = classifierHead(teacher.params, teacher.config, firstToken(hidden), {
        training: false,
      });
      const full = forward(teacher.params, teacher.config, ids, mask, { training: false }).logits;
      return [studentLogits.dataSync(), truncated.dataSync(), full.dataSync()];
    });
    expect(maxAbsDiff(got!, want!)).toBeLessThan(1e-6);
    // …which is not what the whole teacher computes.
    expect(maxAbsDiff(got!, whole!)).toBeGreaterThan(1e-3);
    tf.dispose([ids, mask]);
    disposeParams(student.params);
    disposeParams(teacher.params);
  });
});
