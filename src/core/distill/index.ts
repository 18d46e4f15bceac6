// Distillation: a smaller student trained on a fine-tuned teacher's softened outputs and the labels.
export * from './loss.ts';
export * from './student.ts';
export * from './teacher.ts';
