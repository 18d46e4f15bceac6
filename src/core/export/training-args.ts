// training_args.json: the run's settings under Hugging Face TrainingArguments names, with the
// studio's own settings under "finetune_studio", and nothing that names a place on this machine.
import { isHubRepoId } from '../model/index.ts';
import type { BaseModelOrigin, ExportInput } from './types.ts';

// TrainingArguments fields that hold paths; output_dir is reset to a relative folder.
const PATH_FIELDS = new Set([
  'logging_dir',
  'resume_from_checkpoint',
  'deepspeed',
  'hub_token',
  'push_to_hub_token',
]);

export function looksLikeLocalPath(value: string): boolean {
  return (
    /^(\/|~\/|\.\.?\/)/.test(value) ||
    /^[A-Za-z]:[\\/]/.test(value) ||
    value.startsWith('\\\\') ||
    /^file:/i.test(value) ||
    /(^|[\\/])(home|Users|tmp|var|private)[\\/]/.test(value)
  );
}

function scrub(value: unknown, dropped: string[], key: string): unknown {
  if (typeof value === 'string') {
    if (looksLikeLocalPath(value)) {
      dropped.push(key);
      return undefined;
    }
    return value;
  }
  if (Array.isArray(value))
    return value.map((v, i) => scrub(v, dropped, `${key}[${i}]`)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const cleaned = scrub(v, dropped, `${key}.${k}`);
      if (cleaned !== undefined) out[k] = cleaned;
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return value;
}

export interface TrainingArgsResult {
  json: Record<string, unknown>;
  /** Settings left out because they named a local path. */
  dropped: string[];
}

export const HUGGING_FACE_HUB = 'https://huggingface.co';

/**
 * The base model id as train.py should load it: a repo id from a hub, never a folder on this
 * machine (a folder's name may look like a repo id, so a known origin decides).
 */
export function hubModelId(baseModel: string, origin?: BaseModelOrigin): string | undefined {
  if (origin?.kind === 'folder') return undefined;
  return isHubRepoId(baseModel) && !looksLikeLocalPath(baseModel) ? baseModel : undefined;
}

/** The base model's id on the Hugging Face Hub itself: only then may a model card link to it. */
export function huggingFaceHubId(baseModel: string, origin?: BaseModelOrigin): string | undefined {
  if (origin?.kind === 'hub' && origin.url.replace(/\/+$/, '') !== HUGGING_FACE_HUB) return undefined;
  return hubModelId(baseModel, origin);
}

/** The columns a run trained on, by name, as the analyst mapped them. */
export interface MappedColumns {
  textColumns: readonly string[];
  /** Joins several text columns into one text. */
  textJoiner: string;
  labelColumn: string;
  /** Multi-label: the separator inside a label cell. */
  labelSeparator: string | null;
}

/**
 * The mapping under finetune_studio: text_column when one column holds the texts, text_columns
 * (and text_joiner when there are several), label_column and, for multi-label, label_separator.
 */
export function mappedColumnsJson(columns: MappedColumns): Record<string, unknown> {
  return {
    ...(columns.textColumns.length === 1 ? { text_column: columns.textColumns[0] } : {}),
    text_columns: [...columns.textColumns],
    ...(columns.textColumns.length > 1 ? { text_joiner: columns.textJoiner } : {}),
    label_column: columns.labelColumn,
    ...(columns.labelSeparator !== null ? { label_separator: columns.labelSeparator } : {}),
  };
}

/** The origin as a run folder records it: the hub's URL, or "folder". */
export function originToJson(origin: BaseModelOrigin): string {
  return origin.kind === 'hub' ? origin.url.replace(/\/+$/, '') : 'folder';
}

export function originFromJson(value: unknown): BaseModelOrigin | undefined {
  if (value === 'folder') return { kind: 'folder' };
  if (typeof value === 'string' && /^https?:\/\//.test(value)) return { kind: 'hub', url: value };
  return undefined;
}

export function buildTrainingArgs(input: ExportInput): TrainingArgsResult {
  const dropped: string[] = [];
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.trainingArgs)) {
    if (key === 'finetune_studio') continue;
    if (key === 'output_dir') {
      // Replaced by a relative folder below; say so when it named a place on this machine.
      if (typeof value === 'string' && looksLikeLocalPath(value)) dropped.push(key);
      continue;
    }
    if (PATH_FIELDS.has(key)) {
      if (value !== null && value !== undefined && value !== '') dropped.push(key);
      continue;
    }
    const cleaned = scrub(value, dropped, key);
    if (cleaned !== undefined) args[key] = cleaned;
  }
  args.output_dir = 'outputs';
  const nested = input.trainingArgs.finetune_studio;
  const studio: Record<string, unknown> = {
    ...(nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : {}),
    ...(input.studioSettings ?? {}),
  };
  const base = hubModelId(input.baseModel, input.baseModelOrigin);
  if (base) studio.base_model = base;
  else delete studio.base_model;
  // The hub's address may be one on this machine; train.py reads the hub from HF_ENDPOINT.
  delete studio.base_model_origin;
  studio.max_length = input.maxLength;
  studio.problem_type = input.problemType;
  if (!Array.isArray(studio.text_columns)) studio.text_column ??= 'text';
  studio.label_column ??= input.problemType === 'multi_label_classification' ? 'labels' : 'label';
  if (input.problemType === 'multi_label_classification') studio.label_separator ??= '|';
  args.finetune_studio = scrub(studio, dropped, 'finetune_studio');
  return { json: args, dropped };
}
