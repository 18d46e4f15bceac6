// config.json of the exported model: the base model's fields, with the labels, task and
// architecture of the trained classifier.
import { classifierConfigJson, type ProblemType } from '../model/index.ts';

export function checkLabels(labels: readonly string[]): void {
  if (labels.length < 1) throw new Error('export: the model has no labels');
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label.length === 0) throw new Error('export: a label name is empty');
    if (seen.has(label)) throw new Error(`export: label "${label}" appears twice`);
    seen.add(label);
  }
}

export function buildModelConfig(
  base: Record<string, unknown>,
  labels: readonly string[],
  problemType: ProblemType,
): Record<string, unknown> {
  checkLabels(labels);
  return classifierConfigJson(base, labels, problemType);
}
