import { useEffect, useMemo, useState } from 'react';
import { editRows } from '../../state/edits.ts';
import {
  COLOR_MODE_NAMES,
  COLOR_MODES,
  confidence,
  drawDataMap,
  mapProgress,
  pointColors,
  predictedLabel,
  stopDataMap,
  type ColorMode,
} from '../../state/quality/index.ts';
import { textsOfRows, type RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { Notice } from '../shell/Notice.tsx';
import { ProgressBar } from '../shell/ProgressBar.tsx';
import { MapCanvas } from './MapCanvas.tsx';

const STAGE_TEXT = {
  features: 'Computing the features',
  pca: 'Reducing to 50 dimensions (PCA)',
  neighbours: 'Finding neighbours',
  layout: 'Laying out the map (UMAP)',
  predictions: "Reading the run's predictions",
} as const;
/** Selected rows listed with their text; the bulk actions take all of them. */
const LISTED = 50;

/**
 * A 2-D map of every row (the loaded model's features, PCA, then UMAP) coloured by label, split,
 * this run's prediction, correctness, confidence or label-issue score; hover shows a row, Shift +
 * drag selects rows to relabel or drop through the edit list.
 */
export function DataMapPanel({ run }: { run: RunRecord }) {
  const map = useStudio((s) => s.dataMaps[run.id]);
  const issues = useStudio((s) => s.labelIssues[run.id]);
  const dataVersion = useStudio((s) => s.data.analysis?.dataVersion ?? 0);
  const [seed, setSeed] = useState(42);
  const [mode, setMode] = useState<ColorMode>('label');
  const [hovered, setHovered] = useState<number | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [texts, setTexts] = useState<Map<number, string>>(new Map());
  const [relabelTo, setRelabelTo] = useState(0);
  const outcome = map?.status === 'done' ? map.outcome : null;
  const colors = useMemo(
    () => (outcome && map ? pointColors(map, mode, issues) : null),
    [outcome, map, mode, issues],
  );

  // Texts of the hovered and the listed rows, read from the data worker as they are needed.
  const wanted = useMemo(() => {
    if (!outcome) return [];
    const points = [...(hovered === null ? [] : [hovered]), ...selected.slice(0, LISTED)];
    return points.map((p) => outcome.rows[p]!).filter((row) => !texts.has(row));
  }, [outcome, hovered, selected, texts]);
  useEffect(() => {
    if (wanted.length === 0) return;
    let live = true;
    void textsOfRows(Int32Array.from(wanted)).then((read) => {
      if (!live) return;
      setTexts((known) => new Map([...known, ...wanted.map((row, i) => [row, read[i] ?? ''] as const)]));
    });
    return () => {
      live = false;
    };
  }, [wanted]);

  const labels = map?.labels ?? run.labels;
  const labelNames = (p: number) => {
    const k = labels.length;
    const names = labels.filter((_, j) => map?.given?.[p * k + j]);
    return names.length > 0 ? names.join(', ') : '(none)';
  };
  const describe = (p: number) => {
    const k = outcome!.numLabels;
    const predicted = predictedLabel(outcome!.probabilities, k, p, map!.multiLabel);
    return {
      row: outcome!.rows[p]!,
      given: labelNames(p),
      predicted: predicted < 0 ? '(none)' : (labels[predicted] ?? `#${predicted}`),
      confidence: confidence(outcome!, p, map!.multiLabel),
    };
  };
  const act = (action: 'relabel' | 'drop') => {
    const k = labels.length;
    void editRows(
      selected.map((p) => ({
        row: outcome!.rows[p]!,
        text: texts.get(outcome!.rows[p]!) ?? '',
        labels: labels.map((_, j) => j).filter((j) => map!.given![p * k + j]),
        relabelTo: [relabelTo],
      })),
      action,
      labels,
      `data map of ${run.name}`,
    );
    setSelected([]);
  };

  return (
    <section className="fs-card" aria-labelledby="fs-data-map-title">
      <div className="fs-card-head">
        <h3 id="fs-data-map-title">Data map</h3>
      </div>
      <p className="fs-muted">
        Every row placed by what the loaded model reads in it (its features, reduced by PCA to 50 dimensions,
        then UMAP): similar texts lie together, so clusters, mixed regions and outliers show where the data
        and {run.name} go wrong. The same seed draws the same map.
      </p>
      <div className="fs-form-actions">
        <label>
          Seed{' '}
          <input
            className="fs-map-seed"
            type="number"
            step={1}
            value={seed}
            onChange={(e) => setSeed(Math.trunc(Number(e.target.value)) || 0)}
          />
        </label>
        {map?.status === 'running' ? (
          <button type="button" className="fs-button" onClick={() => stopDataMap(run.id)}>
            Stop
          </button>
        ) : (
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={() => {
              setSelected([]);
              setHovered(null);
              void drawDataMap(run.id, seed);
            }}
          >
            Draw the map
          </button>
        )}
      </div>
      {map?.status === 'running' ? (
        <ProgressBar label={STAGE_TEXT[map.stage]} value={mapProgress(map)} />
      ) : null}
      {map?.status === 'error' ? <Notice tone="error" message={map.error ?? 'The map failed.'} /> : null}
      {outcome && colors ? (
        <>
          <p aria-label="Data map summary">
            {outcome.rows.length} rows, seed {outcome.seed}, PCA to {outcome.pcaComponents} dimensions,{' '}
            {outcome.neighbours} neighbours, {outcome.seconds.toFixed(0)} s
            {map!.dataVersion !== dataVersion
              ? '; the data has changed since: draw it again to see the edits'
              : ''}
          </p>
          <div className="fs-form-actions">
            <label>
              Colour by{' '}
              <select
                className="fs-select"
                value={mode}
                onChange={(e) => setMode(e.target.value as ColorMode)}
              >
                {COLOR_MODES.filter((m) => m !== 'issue' || issues?.status === 'done').map((m) => (
                  <option key={m} value={m}>
                    {COLOR_MODE_NAMES[m]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ul className="fs-map-legend" aria-label="Map legend">
            {colors.legend.map((entry) => (
              <li key={entry.name}>
                <span className="fs-map-swatch" style={{ background: entry.color }} aria-hidden="true" />
                {entry.name}
              </li>
            ))}
          </ul>
          <MapCanvas
            positions={outcome.positions}
            colors={colors}
            onHover={setHovered}
            onSelect={setSelected}
          />
          <p className="fs-map-hover" aria-live="polite" aria-label="Hovered row">
            {hovered === null
              ? 'Hover a point to read its row.'
              : (() => {
                  const d = describe(hovered);
                  return `Row ${d.row} · given ${d.given} · predicted ${d.predicted} (${d.confidence.toFixed(2)}) · ${texts.get(d.row) ?? '…'}`;
                })()}
          </p>
          {selected.length > 0 ? (
            <div aria-label="Selected rows">
              <p>
                {selected.length} row{selected.length === 1 ? '' : 's'} selected
                {selected.length > LISTED ? ` (the first ${LISTED} listed)` : ''}
              </p>
              <div className="fs-form-actions">
                <label>
                  Relabel to{' '}
                  <select
                    className="fs-select"
                    value={relabelTo}
                    onChange={(e) => setRelabelTo(Number(e.target.value))}
                  >
                    {labels.map((name, i) => (
                      <option key={name} value={i}>
                        {name}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" className="fs-button fs-button-small" onClick={() => act('relabel')}>
                  Relabel {selected.length}
                </button>
                <button type="button" className="fs-button fs-button-small" onClick={() => act('drop')}>
                  Drop {selected.length}
                </button>
                <button type="button" className="fs-button fs-button-small" onClick={() => setSelected([])}>
                  Clear the selection
                </button>
              </div>
              <div className="fs-table-scroll">
                <table className="fs-table" aria-label="Selected rows table">
                  <thead>
                    <tr>
                      <th scope="col" className="fs-num">
                        Row
                      </th>
                      <th scope="col">Text</th>
                      <th scope="col">Given</th>
                      <th scope="col">Predicted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {selected.slice(0, LISTED).map((p) => {
                      const d = describe(p);
                      return (
                        <tr key={d.row}>
                          <td className="fs-num">{d.row}</td>
                          <td>{texts.get(d.row) ?? '…'}</td>
                          <td>{d.given}</td>
                          <td>
                            {d.predicted} ({d.confidence.toFixed(2)})
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
