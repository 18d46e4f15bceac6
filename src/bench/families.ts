// Every family the studio trains, at the size of its base checkpoint with random weights: a
// forward pass and a forward+backward step (gradient checkpointing on both sides) on WASM, with
// peak memory, beside transformers' own classes for the same configs on PyTorch CPU in the same
// run. The configs hold the base checkpoints' published dimensions; nothing is downloaded.
import { disposeParams, initParams, parseConfig } from '../core/model/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import { mb, measure, PYTORCH_TIMING } from './model.ts';
import type { ModelBenchMode } from './model-step.ts';
import type { BenchRow } from './table.ts';

export interface FamilyBase {
  /** The Hub checkpoint whose dimensions the config holds. */
  checkpoint: string;
  /** Its config.json's architecture fields (labels are added). */
  config: Record<string, unknown>;
}

const BERT_BASE = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  vocab_size: 30522,
};

const ROBERTA_BASE = {
  ...BERT_BASE,
  max_position_embeddings: 514,
  type_vocab_size: 1,
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
};

/** Smallest first; XLM-R last, as its 250k-word embeddings take the most memory. */
export const FAMILY_BASES: FamilyBase[] = [
  {
    checkpoint: 'sentence-transformers/all-MiniLM-L6-v2',
    config: {
      model_type: 'bert',
      ...BERT_BASE,
      hidden_size: 384,
      num_hidden_layers: 6,
      intermediate_size: 1536,
    },
  },
  {
    checkpoint: 'distilbert/distilbert-base-uncased',
    config: {
      model_type: 'distilbert',
      dim: 768,
      n_layers: 6,
      n_heads: 12,
      hidden_dim: 3072,
      vocab_size: 30522,
      max_position_embeddings: 512,
    },
  },
  { checkpoint: 'google-bert/bert-base-uncased', config: { model_type: 'bert', ...BERT_BASE } },
  {
    checkpoint: 'FacebookAI/roberta-base',
    config: { model_type: 'roberta', ...ROBERTA_BASE, vocab_size: 50265 },
  },
  {
    checkpoint: 'answerdotai/ModernBERT-base',
    config: {
      model_type: 'modernbert',
      hidden_size: 768,
      num_hidden_layers: 22,
      num_attention_heads: 12,
      intermediate_size: 1152,
      vocab_size: 50368,
      max_position_embeddings: 8192,
      global_attn_every_n_layers: 3,
      local_attention: 128,
      global_rope_theta: 160000.0,
      local_rope_theta: 10000.0,
      norm_eps: 1e-5,
      pad_token_id: 50283,
      bos_token_id: 50281,
      eos_token_id: 50282,
      cls_token_id: 50281,
      sep_token_id: 50282,
      classifier_pooling: 'mean',
    },
  },
  {
    // Its 128k-word table (393 MB) is the one that loads in row chunks on WebGPU.
    checkpoint: 'microsoft/deberta-v3-base',
    config: {
      model_type: 'deberta-v2',
      ...BERT_BASE,
      type_vocab_size: 0,
      vocab_size: 128100,
      layer_norm_eps: 1e-7,
      relative_attention: true,
      position_buckets: 256,
      max_relative_positions: -1,
      norm_rel_ebd: 'layer_norm',
      share_att_key: true,
      pos_att_type: ['p2c', 'c2p'],
      position_biased_input: false,
      pooler_hidden_size: 768,
      pooler_hidden_act: 'gelu',
      pad_token_id: 0,
    },
  },
  {
    checkpoint: 'FacebookAI/xlm-roberta-base',
    config: { model_type: 'xlm-roberta', ...ROBERTA_BASE, vocab_size: 250002 },
  },
];

/** Toy sizes of every family for --quick and the test: each path, none of the cost. */
export function quickFamilyBases(): FamilyBase[] {
  const small = {
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 48,
    vocab_size: 1200,
  };
  return FAMILY_BASES.map(({ checkpoint, config }) => ({
    checkpoint,
    config:
      config.model_type === 'distilbert'
        ? { ...config, dim: 32, n_layers: 2, n_heads: 2, hidden_dim: 48, vocab_size: 1200 }
        : config.model_type === 'modernbert'
          ? {
              ...config,
              ...small,
              num_hidden_layers: 3,
              local_attention: 8,
              // Special ids inside the toy vocabulary.
              pad_token_id: 3,
              bos_token_id: 1,
              cls_token_id: 1,
              eos_token_id: 2,
              sep_token_id: 2,
            }
          : config.model_type === 'deberta-v2'
            ? { ...config, ...small, pooler_hidden_size: small.hidden_size, position_buckets: 8 }
            : { ...config, ...small },
  }));
}

export interface FamiliesBenchOptions {
  bases?: FamilyBase[];
  batch?: number;
  seqLength?: number;
  modes?: ModelBenchMode[];
  /** Timed steps per measurement after one untimed warm-up (default 2). */
  iterations?: number;
  pytorch?: boolean;
  /** WASM threads (default the studio's); PyTorch runs on the same count. */
  threads?: number;
  onProgress?(message: string): void;
}

interface TorchFamilyMeasurement {
  checkpoint: string;
  mode: ModelBenchMode;
  msPerStep: number;
  parameters: number;
  threads: number;
}

const LABELS = { id2label: { '0': 'LABEL_0', '1': 'LABEL_1' } };

// transformers' own classes for the same configs, default attention implementation.
const PYTORCH_SCRIPT = `
import json, sys, time, torch
from transformers import AutoConfig, AutoModelForSequenceClassification
${PYTORCH_TIMING}
spec = json.loads(sys.stdin.read())
if spec.get('threads'):
    torch.set_num_threads(spec['threads'])
b, t = spec['batch'], spec['seqLength']
out = []
for base in spec['bases']:
    fields = dict(base['config'])
    model_type = fields.pop('model_type')
    config = AutoConfig.for_model(model_type, num_labels=2, **fields)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config)
    model.gradient_checkpointing_enable()
    parameters = sum(p.numel() for p in model.parameters())
    ids = torch.randint(1000, config.vocab_size, (b, t))
    mask = torch.ones(b, t, dtype=torch.long)
    labels = torch.randint(0, 2, (b,))
    for mode in spec['modes']:
        ms = median_ms(classifier_step(model, mode, ids, mask, labels), spec['iterations'])
        out.append({'checkpoint': base['checkpoint'], 'mode': mode, 'msPerStep': ms,
                    'parameters': parameters, 'threads': torch.get_num_threads()})
    del model
print(json.dumps(out))
`;

const parameterCount = (params: Record<string, { size: number }>): number =>
  Object.values(params).reduce((sum, p) => sum + p.size, 0);

/** One row group per family and mode: seq/s (with the PyTorch ratio), tokens/s, peak memory. */
export async function benchFamilies(options: FamiliesBenchOptions = {}): Promise<BenchRow[]> {
  const bases = options.bases ?? FAMILY_BASES;
  const batch = options.batch ?? 8;
  const seqLength = options.seqLength ?? 128;
  const modes = options.modes ?? ['forward', 'forward+backward'];
  const iterations = options.iterations ?? 2;
  const log = options.onProgress ?? (() => undefined);
  const rows: BenchRow[] = [];

  let torch: TorchFamilyMeasurement[] = [];
  if (options.pytorch ?? true) {
    const python = pythonAvailability();
    if (python.available) {
      log('families bench: PyTorch CPU baseline');
      const run = await runPython(['-c', PYTORCH_SCRIPT], {
        timeoutMs: 60 * 60_000,
        input: JSON.stringify({
          bases,
          batch,
          seqLength,
          modes,
          iterations,
          threads: options.threads ?? null,
        }),
      });
      if (run.code !== 0) {
        throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
      }
      torch = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchFamilyMeasurement[];
    } else {
      log(`families bench: PyTorch baseline skipped: ${python.reason}`);
    }
  }

  if (modes.includes('forward+backward')) await registerNodeGradients();
  const choice = await initNodeBackend('wasm', { threads: options.threads });
  if (choice.name !== 'wasm') throw new Error('the families bench needs the WASM backend');
  const where = 'node wasm';
  for (const base of bases) {
    const config = parseConfig({ ...base.config, ...LABELS });
    const params = initParams(config, 0);
    const parameters = parameterCount(params);
    try {
      for (const mode of modes) {
        const name = `${base.checkpoint} ${mode} b=${batch} t=${seqLength}`;
        log(`families bench: ${name}`);
        const reference = torch.find((m) => m.checkpoint === base.checkpoint && m.mode === mode);
        const torchNote = reference
          ? `; PyTorch ${reference.msPerStep.toFixed(0)} ms/step (${reference.parameters.toLocaleString('en-US')} parameters)`
          : '';
        let measured: Awaited<ReturnType<typeof measure>>;
        try {
          // The profiled step after the timed ones gives the peak memory.
          measured = await measure(config, params, mode, batch, seqLength, iterations, true);
        } catch (error) {
          // An out-of-memory abort leaves the WASM module unusable: the families after it are
          // reported as not measured rather than failing the suite.
          const message = error instanceof Error ? error.message : String(error);
          rows.push({
            suite: 'families',
            name,
            where,
            value: Number.NaN,
            unit: 'seq/s',
            ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
            note: `did not run: ${message.split('\n')[0]}${torchNote}`,
          });
          continue;
        }
        rows.push({
          suite: 'families',
          name,
          where,
          value: measured.sequencesPerSec,
          unit: 'seq/s',
          ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
          ...(reference
            ? { ratio: { against: 'PyTorch CPU', value: reference.msPerStep / measured.msPerStep } }
            : {}),
          note: `${measured.msPerStep.toFixed(0)} ms/step, median of ${iterations}; ${parameters.toLocaleString('en-US')} parameters, random weights${
            mode === 'forward+backward' ? ', gradient checkpointing (PyTorch too)' : ''
          }${torchNote}`,
        });
        rows.push({
          suite: 'families',
          name,
          where,
          value: mb(measured.peakTensorBytes),
          unit: 'MB peak tf.memory (weights included)',
        });
      }
    } finally {
      disposeParams(params);
    }
  }
  for (const m of torch) {
    rows.push({
      suite: 'families',
      name: `${m.checkpoint} ${m.mode} b=${batch} t=${seqLength}`,
      where: 'pytorch cpu',
      value: (1000 * batch) / m.msPerStep,
      unit: 'seq/s',
      threads: m.threads,
      note: `${m.msPerStep.toFixed(0)} ms/step; transformers AutoModelForSequenceClassification`,
    });
  }
  return rows;
}
