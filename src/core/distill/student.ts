// A student initialised from its teacher, as DistilBERT was made from BERT (Sanh et al. 2019,
// transformers' examples/research_projects/distillation/scripts/extract_distilbert.py): the same
// embeddings, one teacher block out of every L/n (every other one for half the depth), and here
// also the teacher's classification head, since the student learns the same labels.
import * as tf from '@tensorflow/tfjs-core';
import {
  type ModelConfig,
  type Params,
  architectureOf,
  layerPrefix,
  parameterShapes,
  storedNames,
} from '../model/index.ts';

/**
 * The teacher blocks a student of `studentLayers` blocks starts from: block ⌊i·L/n⌋ for
 * i = 0 … n − 1, which is every other block when n = L/2 (0, 2, 4 of 6) and spreads the
 * blocks evenly otherwise.
 */
export function studentLayerIndices(teacherLayers: number, studentLayers: number): number[] {
  if (!Number.isInteger(studentLayers) || studentLayers < 1 || studentLayers > teacherLayers) {
    throw new Error(
      `a student taken from a ${teacherLayers}-layer teacher has 1 to ${teacherLayers} layers, got ${studentLayers}`,
    );
  }
  return Array.from({ length: studentLayers }, (_, i) => Math.floor((i * teacherLayers) / studentLayers));
}

export interface StudentModel {
  config: ModelConfig;
  params: Params;
  /** For each student block, the teacher block it was copied from. */
  teacherLayers: number[];
}

/** The teacher's configuration with `layers` blocks, in its parsed and its config.json form. */
export function studentConfig(teacherConfig: ModelConfig, layers: number): ModelConfig {
  studentLayerIndices(teacherConfig.nLayers, layers);
  const shallower: ModelConfig = { ...teacherConfig, nLayers: layers };
  return {
    ...shallower,
    raw: { ...teacherConfig.raw, ...architectureOf(shallower).configFields(shallower) },
  };
}

/**
 * A student of `layers` blocks with the teacher's embeddings, chosen blocks (renumbered 0 … n − 1)
 * and head. Its variables are its own: training it leaves the teacher unchanged.
 */
export function studentFromTeacher(
  teacher: { config: ModelConfig; params: Params },
  layers: number,
): StudentModel {
  const chosen = studentLayerIndices(teacher.config.nLayers, layers);
  const config = studentConfig(teacher.config, layers);
  const params: Params = {};
  for (const name of parameterShapes(config).keys()) {
    const teacherName = teacherParameterName(config, name, chosen);
    // A table in row chunks (model/row-chunks.ts) is copied chunk by chunk under the same suffixes.
    const sources = storedNames(teacher.params, teacherName);
    if (sources.length === 0) {
      for (const variable of Object.values(params)) variable.dispose();
      throw new Error(`the teacher has no parameter "${teacherName}"`);
    }
    for (const stored of sources) {
      const source = teacher.params[stored]!;
      // A variable shares the tensor's data until it is assigned: the teacher's values stay.
      params[name + stored.slice(teacherName.length)] = tf.variable(source, source.trainable);
    }
  }
  return { config, params, teacherLayers: chosen };
}

/** The teacher's name of a student parameter: block i of the student is block chosen[i] of the teacher. */
function teacherParameterName(config: ModelConfig, name: string, chosen: readonly number[]): string {
  for (const [studentLayer, teacherLayer] of chosen.entries()) {
    const prefix = layerPrefix(config, studentLayer);
    if (name.startsWith(prefix)) return layerPrefix(config, teacherLayer) + name.slice(prefix.length);
  }
  return name;
}
