import { useRef, type FormEvent } from 'react';
import { HUB_URL, loadModelFromFiles, loadModelFromHub, setRepoId } from '../../state/model.ts';
import { DEFAULT_REPO_ID } from '../../state/slices.ts';
import { useStudio } from '../../state/store.ts';

export function ModelSourceForm() {
  const repoId = useStudio((state) => state.model.repoId);
  const loading = useStudio((state) => state.model.status === 'loading');
  const folder = useRef<HTMLInputElement>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void loadModelFromHub(repoId);
  };
  const hubHost = (() => {
    try {
      return new URL(HUB_URL).host;
    } catch {
      return HUB_URL;
    }
  })();
  return (
    <section className="fs-card" aria-labelledby="fs-model-source-title">
      <h3 id="fs-model-source-title">Model</h3>
      <form className="fs-form-row fs-hub-form" onSubmit={submit}>
        <label className="fs-field fs-grow">
          <span>Hub repository</span>
          <input
            type="text"
            value={repoId}
            onChange={(event) => setRepoId(event.currentTarget.value)}
            placeholder={DEFAULT_REPO_ID}
            spellCheck={false}
            autoComplete="off"
            aria-describedby="fs-hub-help"
          />
        </label>
        <button type="submit" className="fs-button fs-button-primary" disabled={loading}>
          Load from the Hub
        </button>
      </form>
      <p id="fs-hub-help" className="fs-muted fs-small">
        DistilBERT base uncased is the default: 66 million parameters, a 268 MB download from {hubHost}, kept
        in the browser afterwards so later visits load offline. Any DistilBERT, BERT, RoBERTa, XLM-RoBERTa or
        ModernBERT checkpoint with safetensors weights works; owner/name@revision loads another branch, tag,
        commit or pull request (refs/pr/N).
      </p>
      <div className="fs-form-row">
        <input
          ref={folder}
          type="file"
          className="fs-visually-hidden"
          aria-label="Choose a model folder"
          multiple
          {...{ webkitdirectory: '', directory: '' }}
          onChange={(event) => {
            const files = [...(event.currentTarget.files ?? [])];
            event.currentTarget.value = '';
            if (files.length > 0) void loadModelFromFiles(files);
          }}
        />
        <button
          type="button"
          className="fs-button"
          onClick={() => folder.current?.click()}
          disabled={loading}
        >
          Use a local folder…
        </button>
        <span className="fs-muted fs-small">
          or drop a model folder on this page (config.json, model.safetensors, tokenizer files).
        </span>
      </div>
    </section>
  );
}
