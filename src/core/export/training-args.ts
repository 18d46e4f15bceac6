// training_args.json: the run's settings under Hugging Face TrainingArguments names, with the
// studio's own settings under "finetune_studio", and nothing that names a place on this machine.
import { isHubRepoId } from '../model/source.ts';
import type { ExportInput } from './types.ts';

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

/** The base model id as train.py should load it: Hub ids only, never a folder on this machine. */
export function hubModelId(baseModel: string): string | undefined {
  return isHubRepoId(baseModel) && !looksLikeLocalPath(baseModel) ? baseModel : undefined;
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
  const base = hubModelId(input.baseModel);
  if (base) studio.base_model = base;
  else delete studio.base_model;
  studio.max_length = input.maxLength;
  studio.problem_type = input.problemType;
  studio.text_column ??= 'text';
  studio.label_column ??= input.problemType === 'multi_label_classification' ? 'labels' : 'label';
  if (input.problemType === 'multi_label_classification') studio.label_separator ??= '|';
  args.finetune_studio = scrub(studio, dropped, 'finetune_studio');
  return { json: args, dropped };
}
