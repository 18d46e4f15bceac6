// config.json of the exported model: the base model's fields, with the labels, task and
// architecture of the trained classifier.
import type { ProblemType } from './types.ts';

// Fields that record where a model was loaded from on someone's machine.
const LOCAL_FIELDS = ['_name_or_path', 'name_or_path', '_commit_hash'];
// Fields that belong to other heads and would mislead a loader.
const STALE_FIELDS = ['num_labels', 'finetuning_task'];

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
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (!LOCAL_FIELDS.includes(key) && !STALE_FIELDS.includes(key)) config[key] = value;
  }
  config.model_type ??= 'distilbert';
  config.architectures = ['DistilBertForSequenceClassification'];
  config.id2label = Object.fromEntries(labels.map((label, id) => [String(id), label]));
  config.label2id = Object.fromEntries(labels.map((label, id) => [label, id]));
  config.problem_type = problemType;
  return config;
}
