// Distilling a finished run (the teacher) into a student run with fewer layers: the choices the
// form offers, their checks, and what the student's export records of its teacher.
import {
  DEFAULT_DISTILLATION,
  checkDistillationSettings,
  studentLayerIndices,
} from '../../core/distill/index.ts';
import type { RunDistillationRecord, RunRecord } from './record.ts';

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
    student: {
      layers: distillation.layers,
      teacher_layers: studentLayerIndices(distillation.teacherLayers, distillation.layers),
    },
    ...(teacherTest ? { teacher_test: teacherTest } : {}),
  };
}
