// config.json of the exported model: the base model's fields, with the labels, task and
// architecture of the trained classifier.
import { classifierConfigJson, type ProblemType } from '../model/index.ts';
import { stableJson } from './json.ts';

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

/**
 * Fields transformers types as float in the configs of the families the studio trains. JSON
 * numbers carry no type, but transformers' strict config classes refuse an int where a float is
 * declared (ModernBERT's `initializer_cutoff_factor: 2`), so integral values of these fields are
 * written as `2.0`, as transformers' own `save_pretrained` writes them.
 */
const FLOAT_FIELDS = new Set([
  'attention_dropout',
  'attention_probs_dropout_prob',
  'classifier_dropout',
  'dropout',
  'embedding_dropout',
  'global_rope_theta',
  'hidden_dropout_prob',
  'initializer_cutoff_factor',
  'initializer_range',
  'layer_norm_eps',
  'local_rope_theta',
  'mlp_dropout',
  'norm_eps',
  'qa_dropout',
  'seq_classif_dropout',
]);

/** The text of config.json: keys sorted, two-space indent, float fields written as floats. */
export function configJsonText(config: Record<string, unknown>): string {
  return stableJson(config).replace(
    /^( {2}"([a-z_]+)": )(-?\d+)(,?)$/gm,
    (line, head: string, key: string, value: string, comma: string) =>
      FLOAT_FIELDS.has(key) ? `${head}${value}.0${comma}` : line,
  );
}
