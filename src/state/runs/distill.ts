// Distilling a finished run (the teacher) into a student run: fewer of its layers, or another
// model (a Hub id or a folder). The choices the form offers, their checks, and what the student's
// export records of its teacher.
import {
  DEFAULT_DISTILLATION,
  checkDistillationSettings,
  studentLayerIndices,
} from '../../core/distill/index.ts';
import { parseHubModelId, type HubModelId } from '../../core/model/index.ts';
import type { RunDistillationRecord, RunRecord } from './record.ts';

/** A student that is another model: a Hub repository (`owner/name[@revision]`) or a model folder. */
export type StudentModelChoice = { kind: 'hub'; id: string } | { kind: 'files'; files: File[] };

/** The Hub repository of a typed student id, or the one-line problem with it. */
export function parseStudentHubId(typed: string): HubModelId | string {
  if (typed.trim() === '') return 'Type the student’s Hub id, e.g. prajjwal1/bert-tiny.';
  try {
    return parseHubModelId(typed);
  } catch {
    return `"${typed.trim()}" is not a Hub repository id: type it as owner/name or owner/name@revision.`;
  }
}

/** The folder name of dropped or picked model files. */
export function folderName(files: readonly File[]): string {
  const path = files
    .map((file) => (file as File & { webkitRelativePath?: string }).webkitRelativePath || '')
    .find(Boolean);
  return path?.split('/')[0] || (files.length === 1 ? files[0]!.name : `${files.length} files`);
}

/** One line per problem with a student model choice, before anything loads; empty when usable. */
export function checkStudentModelChoice(choice: StudentModelChoice): string[] {
  if (choice.kind === 'hub') {
    const parsed = parseStudentHubId(choice.id);
    return typeof parsed === 'string' ? [parsed] : [];
  }
  if (choice.files.length === 0) return ['Choose the student’s model folder.'];
  if (!choice.files.some((file) => file.name === 'config.json')) {
    return [`${folderName(choice.files)} is not a model folder: it has no config.json.`];
  }
  return [];
}

/**
 * Why the teacher cannot teach on the current data, or null: it must have learned the data's
 * labels for the same kind of problem.
 */
export function teacherDataBlocker(
  teacher: RunRecord,
  data: { labels: readonly string[]; multiLabel: boolean },
): string | null {
  if (teacher.multiLabel !== data.multiLabel) {
    return `${teacher.name} is a ${teacher.multiLabel ? 'multi' : 'single'}-label classifier; the data is ${data.multiLabel ? 'multi' : 'single'}-label.`;
  }
  const same =
    teacher.labels.length === data.labels.length &&
    data.labels.every((label) => teacher.labels.includes(label));
  return same
    ? null
    : `${teacher.name} learned ${teacher.labels.join(', ')}; the data now has ${data.labels.join(', ')}.`;
}

export interface DistillationChoice {
  layers: number;
  alpha: number;
  temperature: number;
}

/** The form's starting point for a teacher of `teacherLayers` blocks: half its layers, α 0.5, T 2. */
export function defaultDistillation(teacherLayers: number): DistillationChoice {
  return { layers: Math.max(1, Math.floor(teacherLayers / 2)), ...DEFAULT_DISTILLATION };
}

/** One line per problem with a choice for a teacher of `teacherLayers` blocks; empty when usable. */
export function checkDistillationChoice(choice: DistillationChoice, teacherLayers: number): string[] {
  const problems: string[] = [];
  if (teacherLayers < 2) {
    problems.push('The teacher has a single layer: there is no smaller student to take from it.');
  } else if (!Number.isInteger(choice.layers) || choice.layers < 1 || choice.layers >= teacherLayers) {
    problems.push(`The student has 1 to ${teacherLayers - 1} layers, got ${choice.layers}.`);
  }
  for (const problem of checkDistillationSettings(choice)) {
    problems.push(problem.charAt(0).toUpperCase() + problem.slice(1) + '.');
  }
  return problems;
}

/** Why a run cannot be a teacher, or null: it must have finished with kept weights. */
export function teacherBlocker(run: RunRecord): string | null {
  if (run.status !== 'done' && run.status !== 'stopped') return `${run.name} has not finished.`;
  if (!run.best && !run.saved?.final) return `${run.name} kept no weights to learn from.`;
  return null;
}

/**
 * training_args.json's finetune_studio.distillation of a student run, the keys the command line's
 * `distill` writes: the teacher, its layers, α, T and the student's layers.
 */
export function distillationArgs(
  distillation: RunDistillationRecord,
  teacherTest?: Record<string, number>,
): Record<string, unknown> {
  return {
    teacher: distillation.teacherName,
    teacher_layers: distillation.teacherLayers,
    alpha: distillation.alpha,
    temperature: distillation.temperature,
    student: distillation.studentModel
      ? { model: distillation.studentModel.id, layers: distillation.layers }
      : {
          layers: distillation.layers,
          teacher_layers: studentLayerIndices(distillation.teacherLayers, distillation.layers),
        },
    ...(teacherTest ? { teacher_test: teacherTest } : {}),
  };
}
