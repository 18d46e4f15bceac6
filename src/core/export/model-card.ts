// README.md of the export: a Hugging Face model card built from aggregates only (counts,
// metrics, settings), never from the texts of the data set.
import { architectureFor } from '../model/index.ts';
import { ONNX_OPSET } from './onnx/encoder-graph.ts';
import { HUGGING_FACE_HUB, huggingFaceHubId } from './training-args.ts';
import type { ExportInput, SplitMetrics } from './types.ts';

/** Escapes text for a Markdown table cell or inline use (label names are user-chosen). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/([\\`*_{}[\]()<>#+!|~])/g, '\\$1')
    .replace(/^([-=])/, '\\$1');
}

function yamlString(text: string): string {
  return JSON.stringify(text);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return value.toFixed(4);
}

// Statistics in reading order; any others follow by name. A fixed order keeps the card's bytes
// independent of how the summary was built or stored (JSON files keep their keys sorted).
const TOKEN_LENGTH_ORDER = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max', 'max_length', 'truncated'];

function tokenLengthEntries(lengths: Record<string, number>): [string, number][] {
  const rank = (key: string): number => {
    const at = TOKEN_LENGTH_ORDER.indexOf(key);
    return at < 0 ? TOKEN_LENGTH_ORDER.length : at;
  };
  return Object.entries(lengths).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function formatSetting(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return escapeMarkdown(value);
  return escapeMarkdown(JSON.stringify(value));
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function scalarsTable(metrics: { name: string; split: SplitMetrics | undefined }[]): string[] {
  const present = metrics.filter((m) => m.split?.scalars && Object.keys(m.split.scalars).length > 0);
  if (present.length === 0) return [];
  const names = [...new Set(present.flatMap((m) => Object.keys(m.split?.scalars ?? {})))].sort();
  return table(
    ['metric', ...present.map((m) => m.name)],
    names.map((name) => [
      escapeMarkdown(name),
      ...present.map((m) => {
        const v = m.split?.scalars?.[name];
        return v === undefined ? '' : formatNumber(v);
      }),
    ]),
  );
}

function describeMode(studio: Record<string, unknown>): string {
  switch (studio.mode) {
    case 'head':
      return 'head only (the encoder stayed frozen)';
    case 'top-k':
      return `the top ${formatSetting(studio.layers ?? 1)} transformer block(s) and the head`;
    case 'full':
      return `full fine-tuning${studio.freeze_embeddings ? ', embeddings frozen' : ''}`;
    default:
      return formatSetting(studio.mode);
  }
}

export interface ModelCardFacts {
  files: readonly string[];
  trainingArgs: Record<string, unknown>;
  quantizedNote?: string;
}

/** A hub other than Hugging Face's, named unless it is on the training machine. */
function describeHub(url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'another hub';
  }
  return /^(localhost|127\.|\[?::1\]?$|0\.0\.0\.0)/.test(host) || host.endsWith('.local')
    ? 'a hub on the training machine, not the Hugging Face Hub'
    : `the hub at ${escapeMarkdown(url)}, not the Hugging Face Hub`;
}

export function buildModelCard(input: ExportInput, facts: ModelCardFacts): string {
  const labels = input.labels;
  const multi = input.problemType === 'multi_label_classification';
  const hubBase = huggingFaceHubId(input.baseModel, input.baseModelOrigin);
  const origin = input.baseModelOrigin;
  const family = architectureFor(input.config.model_type ?? 'distilbert');
  const baseText = hubBase
    ? `[${hubBase}](${HUGGING_FACE_HUB}/${hubBase})`
    : origin?.kind === 'folder'
      ? `${escapeMarkdown(input.baseModel)} (a local model folder)`
      : origin?.kind === 'hub'
        ? `${escapeMarkdown(input.baseModel)} (from ${describeHub(origin.url)})`
        : escapeMarkdown(input.baseModel);
  const lines: string[] = [
    '---',
    'library_name: transformers',
    'pipeline_tag: text-classification',
    ...(hubBase ? [`base_model: ${yamlString(hubBase)}`] : []),
    'tags:',
    '  - text-classification',
    `  - ${family.modelType}`,
    '  - onnx',
    '  - transformers.js',
    '  - finetune-studio',
    '---',
    '',
    `# ${family.displayName} text classifier (${labels.length} labels, ${multi ? 'multi-label' : 'single-label'})`,
    '',
    (input.studioSettings?.evaluated_only === true
      ? `${baseText}, trained elsewhere and evaluated as it is with Finetune Studio (the studio did not train it; the metrics below are its scores on this data). `
      : `Fine-tuned from ${baseText} with Finetune Studio. `) +
      (multi
        ? 'Each text gets every label whose probability (sigmoid) reaches that label’s decision threshold.'
        : 'Each text gets exactly one label, the one with the highest probability (softmax).'),
    '',
    'This folder is a Hugging Face model folder and a transformers.js model folder at the same time; ' +
      `\`onnx/model.onnx\` is the same model as an ONNX graph (opset ${ONNX_OPSET}).`,
    '',
    '## Usage',
    '',
    'Python (transformers), with `MODEL` this folder or its Hub repository id:',
    '',
    '```python',
    'from transformers import pipeline',
    `classifier = pipeline("text-classification", model="MODEL"${multi ? ', top_k=None' : ''})`,
    'print(classifier("The delivery was fast and the support team was helpful."))',
    '```',
    '',
    'JavaScript (transformers.js, browser or Node), with `MODEL` the Hub repository id (for a local folder, set `env.localModelPath` to its parent folder and use the folder name):',
    '',
    '```js',
    "import { pipeline } from '@huggingface/transformers';",
    `const classifier = await pipeline('text-classification', 'MODEL', { dtype: 'fp32' });`,
    `console.log(await classifier('The delivery was fast and the support team was helpful.'${multi ? ', { top_k: null }' : ''}));`,
    '```',
    '',
    "`dtype: 'fp32'` selects `onnx/model.onnx`; without it, browsers look for a quantized file.",
    '',
    `A text longer than ${input.maxLength} tokens is cut to ${input.maxLength} tokens. transformers and the studio keep the closing special token when they cut; transformers.js cuts it off with the rest, so its scores for such texts differ slightly from the studio's.`,
    '',
    'ONNX Runtime: inputs `input_ids` and `attention_mask` (int64, `[batch_size, sequence_length]`, from `tokenizer.json`), output `logits` (float32, `[batch_size, num_labels]`).',
    '',
    '## Labels',
    '',
  ];
  const counts = input.dataSummary?.labelCounts;
  const thresholds = input.thresholds;
  lines.push(
    ...table(
      ['id', 'label', ...(counts ? ['examples'] : []), ...(multi ? ['decision threshold'] : [])],
      labels.map((label, id) => [
        String(id),
        escapeMarkdown(label),
        ...(counts ? [formatNumber(counts[label] ?? 0)] : []),
        ...(multi ? [formatNumber(thresholds?.[id] ?? 0.5)] : []),
      ]),
    ),
    '',
  );
  if (multi) {
    lines.push(
      'Decision thresholds are also in `thresholds.json`; a label applies when its probability is at least its threshold.',
      '',
    );
  }

  lines.push('## Training data', '');
  const summary = input.dataSummary;
  if (summary) {
    lines.push(`- Rows: ${formatNumber(summary.rows)}`);
    if (summary.unlabelledRows) {
      lines.push(`- Unlabelled rows, not trained on: ${formatNumber(summary.unlabelledRows)}`);
    }
    const splits = summary.splits;
    if (splits) {
      const parts = (['train', 'validation', 'test'] as const)
        .filter((k) => splits[k] !== undefined)
        .map((k) => `${k} ${formatNumber(splits[k] as number)}`);
      if (parts.length) lines.push(`- Splits: ${parts.join(', ')}`);
    }
    if (summary.tokenLengths && Object.keys(summary.tokenLengths).length > 0) {
      const parts = tokenLengthEntries(summary.tokenLengths).map(
        ([k, v]) => `${escapeMarkdown(k)} ${formatNumber(v)}`,
      );
      lines.push(`- Token lengths: ${parts.join(', ')}`);
    }
    for (const check of summary.checks ?? [])
      lines.push(`- Check "${escapeMarkdown(check.name)}": ${formatNumber(check.count)} rows`);
    lines.push('');
    lines.push(
      'Only these aggregate figures describe the data; no text from it is included in this folder.',
      '',
    );
  } else {
    lines.push('No data summary was recorded for this run.', '');
  }

  lines.push('## Training procedure', '');
  lines.push(
    `- Base model: ${baseText}`,
    `- Maximum sequence length: ${input.maxLength} tokens (longer texts are truncated)`,
  );
  const studio = facts.trainingArgs.finetune_studio as Record<string, unknown> | undefined;
  if (studio?.mode) lines.push(`- Training mode: ${describeMode(studio)}`);
  lines.push('', 'Hyperparameters (Hugging Face `TrainingArguments` names, as in `training_args.json`):', '');
  const settings = Object.entries(facts.trainingArgs)
    .filter(([k]) => k !== 'finetune_studio' && k !== 'output_dir')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  lines.push(
    ...table(
      ['setting', 'value'],
      settings.map(([k, v]) => [escapeMarkdown(k), formatSetting(v)]),
    ),
    '',
  );
  const { bestStep, bestEpoch } = input.metrics ?? {};
  if (bestStep !== undefined || bestEpoch !== undefined) {
    const where = [
      ...(bestStep !== undefined ? [`step ${formatNumber(bestStep)}`] : []),
      ...(bestEpoch !== undefined ? [`epoch ${Number(bestEpoch.toFixed(2))}`] : []),
    ].join(', ');
    lines.push(`The weights are those of the best validation checkpoint (${where}).`, '');
  }

  lines.push('## Evaluation', '');
  const metrics = input.metrics;
  const scalars = scalarsTable([
    { name: 'validation', split: metrics?.validation },
    { name: 'test', split: metrics?.test },
  ]);
  if (scalars.length) lines.push(...scalars, '');
  else lines.push('No evaluation metrics were recorded for this run.', '');
  const perClassSplit = metrics?.test?.perClass
    ? 'test'
    : metrics?.validation?.perClass
      ? 'validation'
      : undefined;
  const perClass = perClassSplit ? metrics?.[perClassSplit]?.perClass : undefined;
  if (perClassSplit && perClass) {
    lines.push(`### Per label (${perClassSplit} split)`, '');
    lines.push(
      ...table(
        ['label', 'precision', 'recall', 'F1', 'support'],
        perClass.map((c) => [
          escapeMarkdown(c.label),
          formatNumber(c.precision),
          formatNumber(c.recall),
          formatNumber(c.f1),
          formatNumber(c.support),
        ]),
      ),
      '',
    );
  }
  const matrixSplit = metrics?.test?.confusionMatrix
    ? 'test'
    : metrics?.validation?.confusionMatrix
      ? 'validation'
      : undefined;
  const matrix = matrixSplit ? metrics?.[matrixSplit]?.confusionMatrix : undefined;
  if (matrixSplit && matrix) {
    lines.push(`### Confusion matrix (${matrixSplit} split; rows: true label, columns: predicted label)`, '');
    lines.push(
      ...table(
        ['true \\ predicted', ...labels.map(escapeMarkdown)],
        matrix.map((row, i) => [escapeMarkdown(labels[i] ?? String(i)), ...row.map((v) => formatNumber(v))]),
      ),
      '',
    );
  }
  if (facts.quantizedNote) lines.push(facts.quantizedNote, '');

  lines.push(
    '## Intended use and limits',
    '',
    '- Intended for classifying short texts like the ones it was trained on, into the labels above. It cannot predict a label it was not trained on, and it always answers, even for text unlike its training data.',
    `- Texts longer than ${input.maxLength} tokens are cut to their first ${input.maxLength} tokens.`,
    '- The figures above come from held-out splits of one data set; accuracy on other sources, periods or writing styles can be lower. Measure it on your own data before relying on it.',
    '- The model learns whatever biases its training labels and its base model carry. Do not use it alone for decisions with legal, medical, financial or similar consequences for people; keep a human in the loop.',
    '',
    '## Reproduce, scale up, serve',
    '',
    '- `train.py` reads `training_args.json` and reruns this training with the Hugging Face Trainer on a GPU or a cluster: `pip install transformers torch accelerate`, then `accelerate launch train.py --data data.csv` or `torchrun --nproc_per_node 4 train.py --data data.csv` (add `--model .` to continue from this model). It reads the file as the studio did and, given the same file, trains on the same split (`split.json`, when the export has it).',
    '- `serve.py` answers `POST /predict` with `{"texts": [...]}` on http://127.0.0.1:8000, batching concurrent requests: `pip install fastapi uvicorn transformers torch`, then `python serve.py`' +
      ' (`--onnx` runs `onnx/model.onnx` with ONNX Runtime). The `Dockerfile` packages it: `docker build -t text-classifier . && docker run --rm -p 127.0.0.1:8000:8000 text-classifier`; `k8s/` runs that image on Kubernetes (`kubectl apply -f k8s/`: Deployment with probes on `/health` and `/ready`, Service, CPU autoscaler).',
    '',
    '## Files',
    '',
    ...facts.files.map((f) => `- \`${f}\``),
    '',
  );
  return lines.join('\n');
}
