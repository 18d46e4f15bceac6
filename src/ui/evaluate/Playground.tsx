import { useEffect, useId, useRef, useState } from 'react';
import { classifyTexts } from '../../state/runs/index.ts';

interface PlaygroundProps {
  runId: string;
  labels: readonly string[];
  multiLabel: boolean;
  /** Multi-label thresholds, or the binary decision; a label whose bar reaches it is "on". */
  thresholds: readonly number[];
}

const DEBOUNCE_MS = 250;

/** Classifies what the user types, as they type, with one probability bar per label. */
export function Playground({ runId, labels, multiLabel, thresholds }: PlaygroundProps) {
  const inputId = useId();
  const [text, setText] = useState('');
  const [result, setProbabilities] = useState<number[] | null>(null);
  const [failure, setError] = useState<string | null>(null);
  const [pending, setBusy] = useState(false);
  const latest = useRef(0);

  useEffect(() => {
    const trimmed = text.trim();
    const ticket = ++latest.current;
    if (!trimmed) return;
    const timer = setTimeout(() => {
      setBusy(true);
      classifyTexts(runId, [trimmed])
        .then((result) => {
          if (ticket !== latest.current) return; // a newer text is on its way
          setProbabilities(result[0] ?? null);
          setError(null);
        })
        .catch((reason: unknown) => {
          if (ticket !== latest.current) return;
          setError(reason instanceof Error ? reason.message : String(reason));
        })
        .finally(() => {
          if (ticket === latest.current) setBusy(false);
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, runId]);

  const empty = text.trim() === '';
  const probabilities = empty ? null : result;
  const error = empty ? null : failure;
  const busy = !empty && pending;
  const order = probabilities
    ? labels.map((_, i) => i).sort((a, b) => (probabilities[b] ?? 0) - (probabilities[a] ?? 0))
    : [];
  const top = order[0];
  return (
    <section className="fs-card fs-playground" aria-labelledby={`${inputId}-title`}>
      <h3 id={`${inputId}-title`}>Playground</h3>
      <label htmlFor={inputId} className="fs-muted" style={{ display: 'block', marginBottom: 6 }}>
        Type a text to classify; it stays on this computer.
      </label>
      <textarea
        id={inputId}
        aria-label="Text to classify"
        value={text}
        placeholder="e.g. The food was cold and the waiter was rude."
        onChange={(event) => setText(event.target.value)}
      />
      <p className="fs-muted" aria-live="polite" style={{ margin: '4px 0 0', minHeight: '1.3em' }}>
        {error
          ? ''
          : busy
            ? 'Classifying…'
            : probabilities && top !== undefined
              ? multiLabel
                ? `Labels on: ${labels.filter((_, i) => (probabilities[i] ?? 0) >= (thresholds[i] ?? 0.5)).join(', ') || 'none'}`
                : `Prediction: ${labels[top]}`
              : ''}
      </p>
      {error && (
        <p className="fs-notice fs-notice-error" role="alert">
          {error}
        </p>
      )}
      {probabilities && (
        <ul className="fs-probs" aria-label="Label probabilities">
          {order.map((i) => {
            const p = probabilities[i] ?? 0;
            const on = multiLabel ? p >= (thresholds[i] ?? 0.5) : i === top;
            return (
              <li key={labels[i]} className="fs-prob" data-label={labels[i]} data-probability={p.toFixed(4)}>
                <span
                  title={labels[i]}
                  style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
                >
                  {labels[i]}
                </span>
                <span
                  className="fs-prob-track"
                  role="meter"
                  aria-label={`Probability of ${labels[i]}`}
                  aria-valuemin={0}
                  aria-valuemax={1}
                  aria-valuenow={Number(p.toFixed(4))}
                >
                  <span
                    className={on ? 'fs-prob-fill fs-prob-fill-on' : 'fs-prob-fill'}
                    style={{ width: `${(p * 100).toFixed(1)}%`, display: 'block' }}
                  />
                </span>
                <span className="fs-num">{(p * 100).toFixed(1)}%</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
