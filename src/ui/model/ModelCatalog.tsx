import { MODEL_CATALOG } from '../../core/model/index.ts';
import { loadModelFromHub, setRepoId, SPEED_TOKENS } from '../../state/model.ts';
import { useStudio } from '../../state/store.ts';
import { formatRate } from '../format.ts';

/**
 * Models worth trying, smallest first in spirit: size, languages, licence, and how fast each one
 * that was loaded here classified on this device.
 */
export function ModelCatalog() {
  const speeds = useStudio((state) => state.ui.measuredSpeeds);
  const loadedId = useStudio((state) =>
    state.model.status === 'loaded' && state.model.sourceKind === 'hub' ? state.model.sourceLabel : null,
  );
  const loading = useStudio((state) => state.model.status === 'loading');
  return (
    <section className="fs-card" aria-labelledby="fs-model-catalog-title">
      <h3 id="fs-model-catalog-title">Suggested models</h3>
      <p className="fs-muted fs-small">
        Any Hub checkpoint of these families works (DistilBERT, BERT, RoBERTa, XLM-RoBERTa); these are good
        starting points. Speed is measured on this device when a model is loaded: texts of {SPEED_TOKENS}{' '}
        tokens classified per second.
      </p>
      <div className="fs-table-scroll">
        <table className="fs-table" aria-label="Suggested models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="fs-num">
                Parameters
              </th>
              <th scope="col">Languages</th>
              <th scope="col">Licence</th>
              <th scope="col" className="fs-num">
                Speed here
              </th>
              <th scope="col">
                <span className="fs-visually-hidden">Load</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {MODEL_CATALOG.map((model) => {
              const speed = speeds[model.id];
              const current = loadedId === model.id;
              return (
                <tr key={model.id} aria-current={current ? 'true' : undefined}>
                  <th scope="row">
                    <code>{model.id}</code>
                    <div className="fs-muted fs-small">{model.note}</div>
                  </th>
                  <td className="fs-num">{model.parametersMillions}M</td>
                  <td>{model.languages}</td>
                  <td>{model.licence}</td>
                  <td className="fs-num" title={speed ? `measured on ${speed.backend}` : undefined}>
                    {speed ? formatRate(speed.textsPerSec, 'texts') : '—'}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="fs-button fs-button-quiet"
                      disabled={loading || current}
                      aria-label={`Load ${model.id}`}
                      onClick={() => {
                        setRepoId(model.id);
                        void loadModelFromHub(model.id);
                      }}
                    >
                      {current ? 'Loaded' : 'Load'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
