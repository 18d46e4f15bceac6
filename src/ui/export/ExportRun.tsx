import { useState } from 'react';
import { buildPredictionsCsv, exportRunZip, type RunRecord } from '../../state/runs/index.ts';

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model'
  );
}

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has been handed to the browser; the URL can go once it has read it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const USES = [
  {
    where: 'Python transformers',
    line: 'Unzip, then load the folder like any Hub model.',
    code: 'from transformers import pipeline\nclf = pipeline("text-classification", model="./model")\nclf("The food was great")',
  },
  {
    where: 'transformers.js (browser or Node)',
    line: 'The same folder is a transformers.js model; pass dtype fp32 so it reads onnx/model.onnx.',
    code: "import { pipeline } from '@huggingface/transformers';\nconst clf = await pipeline('text-classification', './model', { dtype: 'fp32' });\nawait clf('The food was great');",
  },
  {
    where: 'ONNX Runtime (any language)',
    line: 'onnx/model.onnx takes int64 input_ids and attention_mask and returns logits.',
    code: "import onnxruntime as ort\nsess = ort.InferenceSession('model/onnx/model.onnx')\nlogits = sess.run(['logits'], {'input_ids': ids, 'attention_mask': mask})[0]",
  },
  {
    where: 'An HTTP endpoint (serve.py)',
    line: 'A small FastAPI app in the zip answers POST /predict on 127.0.0.1; a Dockerfile sits beside it.',
    code: 'pip install fastapi uvicorn transformers torch\npython serve.py\ncurl -H "content-type: application/json" -d \'{"texts": ["The food was great"]}\' http://127.0.0.1:8000/predict',
  },
  {
    where: 'A GPU or cluster (train.py)',
    line: 'Reproduces this run with the Hugging Face Trainer from training_args.json, for bigger data.',
    code: 'accelerate launch train.py --data data.csv',
  },
];

/** The chosen run's downloads, with where each one runs. */
export function ExportRun({ run }: { run: RunRecord }) {
  const [busy, setBusy] = useState<'zip' | 'run' | 'csv' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const finished = run.status === 'done' || run.status === 'stopped' || run.status === 'interrupted';
  const base = slug(run.name);

  const download = async (kind: 'zip' | 'run' | 'csv') => {
    setBusy(kind);
    setError(null);
    setDone(null);
    try {
      if (kind === 'zip') {
        const blob = await exportRunZip(run.id);
        saveBlob(blob, `${base}-model.zip`);
        setDone(`${base}-model.zip (${(blob.size / 1e6).toFixed(1)} MB) is in your downloads.`);
      } else if (kind === 'run') {
        const blob = await exportRunZip(run.id, 'run');
        saveBlob(blob, `${base}-run.zip`);
        setDone(`${base}-run.zip (${(blob.size / 1e6).toFixed(1)} MB) is in your downloads.`);
      } else {
        const blob = await buildPredictionsCsv(run.id);
        saveBlob(blob, `${base}-predictions.csv`);
        setDone(`${base}-predictions.csv is in your downloads.`);
      }
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      {!finished && (
        <p className="fs-notice fs-notice-warning">
          {run.name} is {run.status}. The download holds its best checkpoint so far; finish or stop the run
          for the final one.
        </p>
      )}
      <ul className="fs-downloads">
        <li className="fs-card fs-download">
          <div>
            <h3>Model (.zip)</h3>
            <p>
              A Hugging Face model folder that is also a transformers.js folder: config, weights
              (safetensors), tokenizer, ONNX graph (and an int8 copy when it decides like the float model on
              the validation split), model card with metrics, training_args.json + train.py (+ split.json),
              serve.py + Dockerfile + k8s/ manifests. It holds no text from your data.
            </p>
          </div>
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={() => void download('zip')}
            disabled={busy !== null || !run.best}
          >
            {busy === 'zip' ? 'Building the zip…' : 'Download model (.zip)'}
          </button>
        </li>
        <li className="fs-card fs-download">
          <div>
            <h3>Run folder (.zip)</h3>
            <p>
              The checkpoint with the run&apos;s settings, metrics and data counts, to continue in the CLI:{' '}
              <code>npx finetune-studio export run.zip --out model.zip</code> writes the same model zip as the
              button above, byte for byte; <code>evaluate --model</code> and <code>predict --model</code> take
              the unzipped folder. It holds no text from your data.
            </p>
          </div>
          <button
            type="button"
            className="fs-button"
            onClick={() => void download('run')}
            disabled={busy !== null || !run.best}
          >
            {busy === 'run' ? 'Building the zip…' : 'Download run folder (to continue in the CLI)'}
          </button>
        </li>
        <li className="fs-card fs-download">
          <div>
            <h3>predictions.csv</h3>
            <p>
              The test split with its text, true label, predicted label and one probability column per label;
              opens in any spreadsheet (cells that look like formulas are escaped).
            </p>
          </div>
          <button
            type="button"
            className="fs-button"
            onClick={() => void download('csv')}
            disabled={busy !== null || !run.testResult}
          >
            {busy === 'csv' ? 'Writing…' : 'Download predictions.csv'}
          </button>
        </li>
      </ul>
      <div aria-live="polite">
        {done && <p className="fs-muted">{done}</p>}
        {error && (
          <p className="fs-notice fs-notice-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <section className="fs-card" aria-labelledby="fs-export-uses">
        <h3 id="fs-export-uses">Where the model runs</h3>
        <ul className="fs-downloads">
          {USES.map((use) => (
            <li key={use.where}>
              <strong>{use.where}</strong>: {use.line}
              <pre className="fs-snippet">{use.code}</pre>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
