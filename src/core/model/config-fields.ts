// Readers for config.json fields shared by every family's config parser: each throws a one-line
// reason naming the field.
import type { ProblemType } from './config.ts';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function positiveInt(json: Record<string, unknown>, key: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function nonNegativeInt(json: Record<string, unknown>, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`config.json: "${key}" must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function probability(json: Record<string, unknown>, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`config.json: "${key}" must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

export function positiveNumber(json: Record<string, unknown>, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new Error(`config.json: "${key}" must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `id2label` as an array; transformers' default for a config without one is LABEL_0..LABEL_{n-1}. */
export function parseLabels(json: Record<string, unknown>): string[] {
  const id2label = json.id2label;
  const declared = json.num_labels;
  if (id2label === undefined || id2label === null) {
    const count = declared === undefined ? 2 : positiveInt(json, 'num_labels');
    return Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  }
  if (!isRecord(id2label)) throw new Error('config.json: "id2label" must be an object of index → name');
  const entries = Object.entries(id2label);
  const labels: string[] = new Array<string>(entries.length);
  for (const [key, name] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
      throw new Error(
        `config.json: "id2label" keys must be 0..${entries.length - 1}, got ${JSON.stringify(key)}`,
      );
    }
    if (typeof name !== 'string') throw new Error(`config.json: id2label["${key}"] must be a string`);
    labels[index] = name;
  }
  if (declared !== undefined && declared !== entries.length) {
    throw new Error(
      `config.json: num_labels is ${String(declared)} but id2label has ${entries.length} entries`,
    );
  }
  if (new Set(labels).size !== labels.length) throw new Error('config.json: "id2label" has duplicate names');
  return labels;
}

export function parseProblemType(json: Record<string, unknown>): ProblemType {
  const value = json.problem_type;
  if (value === undefined || value === null) return 'single_label_classification';
  if (value === 'single_label_classification' || value === 'multi_label_classification') return value;
  throw new Error(
    `config.json: problem_type "${String(value)}" is not supported (only single_label_classification and multi_label_classification)`,
  );
}

/**
 * Checks `architectures` against a family's model classes: a config that names only classes of
 * another family is refused.
 */
export function checkArchitectures(
  json: Record<string, unknown>,
  supported: ReadonlySet<string>,
  family: string,
): void {
  const architectures = json.architectures;
  if (Array.isArray(architectures) && architectures.length > 0) {
    const unsupported = architectures.filter((a) => typeof a !== 'string' || !supported.has(a));
    if (unsupported.length === architectures.length) {
      throw new Error(`unsupported architecture ${String(unsupported[0])}: expected a ${family} model`);
    }
  }
}

export function padTokenId(json: Record<string, unknown>, fallback: number): number {
  const value = json.pad_token_id ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error('config.json: "pad_token_id" must be a non-negative integer');
  }
  return value;
}
