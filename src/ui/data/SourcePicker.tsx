import { memo, useRef } from 'react';
import { openFile, openPastedText, openSample, SAMPLES } from '../../state/data.ts';
import { studio } from '../../state/store.ts';

async function pasteFromClipboard(): Promise<void> {
  try {
    const text = await navigator.clipboard.readText();
    await openPastedText(text);
  } catch {
    studio().setData({
      error: {
        message: 'The browser did not let the page read the clipboard.',
        hint: 'Click anywhere on this page and press Ctrl+V (⌘V on a Mac) instead.',
      },
    });
  }
}

/** The ways in: drop, pick a file, paste, or a bundled sample. */
export const SourcePicker = memo(function SourcePicker({ compact = false }: { compact?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <section className={compact ? 'fs-source fs-source-compact' : 'fs-source'} aria-label="Import data">
      {compact ? null : (
        <div className="fs-dropzone">
          <p className="fs-dropzone-title">Drop a labelled CSV anywhere on this page</p>
          <p className="fs-muted">
            CSV, TSV or <code>label⇥text</code> files, with a header row or without; any size. One column
            holds the text, another the label (or several labels).
          </p>
        </div>
      )}
      <div className="fs-source-actions">
        <input
          ref={input}
          id="fs-file-input"
          type="file"
          accept=".csv,.tsv,.txt,.tab,text/csv,text/tab-separated-values,text/plain"
          className="fs-visually-hidden"
          aria-label="Choose a data file"
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            event.currentTarget.value = '';
            if (file) void openFile(file);
          }}
        />
        <button type="button" className="fs-button fs-button-primary" onClick={() => input.current?.click()}>
          Choose a file…
        </button>
        <button type="button" className="fs-button" onClick={() => void pasteFromClipboard()}>
          Paste from clipboard
        </button>
      </div>
      {compact ? null : (
        <div className="fs-samples">
          <h3>Try a sample</h3>
          <ul className="fs-sample-list">
            {SAMPLES.map((sample) => (
              <li key={sample.id}>
                <button
                  type="button"
                  className="fs-sample"
                  onClick={() => void openSample(sample)}
                  aria-label={`Try a sample: ${sample.title}`}
                >
                  <strong>{sample.title}</strong>
                  <span className="fs-muted">{sample.description}</span>
                </button>
              </li>
            ))}
          </ul>
          <p className="fs-muted fs-small">
            Samples: UCI Sentiment Labelled Sentences (Kotzias et al.), Banking77 and NLU++ (PolyAI), CC BY
            4.0.
          </p>
        </div>
      )}
    </section>
  );
});
