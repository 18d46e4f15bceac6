// Prediction speed of distilled students against their teacher: a distilbert-base-sized teacher
// (random weights made in the benchmark) and students taken from it as `finetune-studio distill
// --layers N` takes them (every other block for half the depth), each timed on the same forward
// step the model suite times (dropout off, batch 8, seq 128 on WASM by default).
import { disposeParams, initParams } from '../core/model/index.ts';
import { studentFromTeacher } from '../core/distill/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, median, type ModelDims } from './model.ts';
import { modelStep } from './model-step.ts';
import type { BenchRow } from './table.ts';

export interface DistillBenchOptions {
  /** The teacher's dimensions (default distilbert-base: 768 wide, 6 layers). */
  dims?: Partial<ModelDims>;
  backend?: 'wasm' | 'cpu';
  batch?: number;
  seqLength?: number;
  /** Depths of the students (default 3 and 1 of the teacher's 6). */
  studentLayers?: number[];
  /** Timed forward passes per model after one untimed warm-up (default 3; the median is reported). */
  iterations?: number;
  onProgress?(message: string): void;
}

export async function benchDistill(options: DistillBenchOptions = {}): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const backend = options.backend ?? 'wasm';
  const batch = options.batch ?? 8;
  const seqLength = options.seqLength ?? 128;
  const iterations = options.iterations ?? 3;
  const studentLayers = [...new Set(options.studentLayers ?? [Math.max(1, Math.floor(dims.nLayers / 2)), 1])];
  await initNodeBackend(backend);
  const config = benchConfig(dims);
  const teacher = { config, params: initParams(config, 0) };
  const where = `node ${backend}`;
  const shape = `b=${batch} t=${seqLength}`;
  const note = `teacher dim ${dims.dim}, ${dims.nLayers} layers, ${dims.nHeads} heads, FFN ${dims.hiddenDim}, random weights; median of ${iterations}`;

  const time = async (model: typeof teacher): Promise<number> => {
    const { step, dispose } = modelStep(model.config, model.params, 'forward', batch, seqLength);
    try {
      await step();
      const seconds: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const started = performance.now();
        await step();
        seconds.push((performance.now() - started) / 1000);
      }
      return batch / median(seconds);
    } finally {
      dispose();
    }
  };

  const rows: BenchRow[] = [];
  try {
    options.onProgress?.(`distill: teacher (${dims.nLayers} layers) forward ${shape}`);
    const teacherSpeed = await time(teacher);
    rows.push({
      suite: 'distill',
      name: `predict ${shape}, teacher (${dims.nLayers} layers)`,
      where,
      value: teacherSpeed,
      unit: 'seq/s',
      note,
    });
    for (const layers of studentLayers) {
      const student = studentFromTeacher(teacher, layers);
      try {
        options.onProgress?.(`distill: student (${layers} of ${dims.nLayers} layers) forward ${shape}`);
        const speed = await time(student);
        rows.push({
          suite: 'distill',
          name: `predict ${shape}, student (${layers} of ${dims.nLayers} layers)`,
          where,
          value: speed,
          unit: 'seq/s',
          ratio: { against: 'teacher', value: speed / teacherSpeed },
          note: `the teacher's embeddings, head and block${layers > 1 ? 's' : ''} ${student.teacherLayers.join(', ')}`,
        });
      } finally {
        disposeParams(student.params);
      }
    }
  } finally {
    disposeParams(teacher.params);
  }
  return rows;
}
