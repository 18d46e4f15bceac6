import { memo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  cloneRun,
  currentSettings,
  deleteRun,
  selectRun,
  teacherBlocker,
  toggleRunOverlay,
} from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { runColor } from '../train/palette.ts';
import { DistillForm } from './DistillForm.tsx';
import type { RunRecord } from '../../state/runs/index.ts';

const STATUS_TEXT: Record<RunRecord['status'], string> = {
  preparing: 'Preparing',
  running: 'Running',
  paused: 'Paused',
  stopping: 'Stopping',
  done: 'Done',
  stopped: 'Stopped',
  interrupted: 'Interrupted',
  error: 'Failed',
};

const MODE_TEXT: Record<string, string> = { head: 'Head only', 'top-k': 'Top layers', full: 'Full' };

function formatMetric(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

function modeText(run: RunRecord): string {
  const mode = MODE_TEXT[run.settings.mode] ?? run.settings.mode;
  const layers = run.settings['layers'];
  return run.settings.mode === 'top-k' && typeof layers === 'number' ? `${mode} (${layers})` : mode;
}

interface RowView {
  name: string;
  status: RunRecord['status'];
  mode: string;
  dataVersion: number;
  /** Labelled rows the run learned and was evaluated on (every split); unknown for older runs. */
  labelledRows: number | undefined;
  learningRate: number;
  epochs: number;
  batchSize: number;
  bestMetric: string;
  best: number | undefined;
  test: number | undefined;
  /** The teacher's name of a distilled run, and the student: its model's name, or its layers. */
  teacher: string | undefined;
  student: string | undefined;
  evaluatedOnly: boolean;
  canTeach: boolean;
}

/** A distilled run's student: the other model it is, or how many of the teacher's layers it kept. */
function studentText(distillation: NonNullable<RunRecord['distillation']>): string {
  if (distillation.studentModel) return distillation.studentModel.id;
  return `${distillation.layers} layer${distillation.layers === 1 ? '' : 's'}`;
}

/** What a row shows, as primitives: a training step changes none of them, so it redraws no row. */
function rowView(run: RunRecord): RowView {
  const testValue = run.test?.[run.bestMetric];
  return {
    name: run.name,
    status: run.status,
    mode: run.evaluatedOnly ? 'as loaded' : modeText(run),
    dataVersion: run.dataVersion,
    labelledRows: run.dataSummary?.rows,
    learningRate: currentSettings(run).learningRate,
    epochs: run.evaluatedOnly ? 0 : run.settings.epochs,
    batchSize: run.settings.batchSize,
    bestMetric: run.bestMetric,
    best: run.best?.value,
    test: typeof testValue === 'number' ? testValue : undefined,
    teacher: run.distillation?.teacherName,
    student: run.distillation && studentText(run.distillation),
    evaluatedOnly: run.evaluatedOnly === true,
    canTeach: teacherBlocker(run) === null,
  };
}

const MISSING: RowView | null = null;

const RunRow = memo(function RunRow({
  id,
  index,
  active,
  compared,
  onClone,
  onDistil,
}: {
  id: string;
  index: number;
  active: boolean;
  compared: boolean;
  onClone?: (() => void) | undefined;
  onDistil: (id: string) => void;
}) {
  const run = useStudio(useShallow((s) => (s.runs[id] ? rowView(s.runs[id]) : MISSING)));
  if (!run) return null;
  return (
    <tr className={active ? 'fs-run-row-active' : undefined} aria-current={active ? 'true' : undefined}>
      <td>
        <input
          type="checkbox"
          aria-label={`Compare ${run.name} on the charts`}
          checked={active || compared}
          disabled={active}
          onChange={() => toggleRunOverlay(id)}
        />
      </td>
      <td>
        <span className="fs-swatch" style={{ background: runColor(index) }} aria-hidden="true" />
        <button
          type="button"
          className="fs-link"
          onClick={() => selectRun(id)}
          aria-label={`Show ${run.name}`}
        >
          {run.name}
        </button>
        {run.teacher !== undefined && (
          <div className="fs-muted" style={{ fontSize: '0.8rem' }}>
            distilled from {run.teacher} into {run.student}
          </div>
        )}
        {run.evaluatedOnly && (
          <div className="fs-muted" style={{ fontSize: '0.8rem' }}>
            trained elsewhere, evaluated here
          </div>
        )}
      </td>
      <td>
        <span className={`fs-status fs-status-${run.status}`}>{STATUS_TEXT[run.status]}</span>
      </td>
      <td>{run.mode}</td>
      <td
        title={
          run.dataVersion === 0
            ? 'Trained on the file as uploaded'
            : `Trained on the file with the edits up to version ${run.dataVersion}`
        }
      >
        {run.dataVersion === 0 ? 'as uploaded' : `edited v${run.dataVersion}`}
      </td>
      <td className="fs-num" title="Labelled rows in the run's data, every split">
        {run.labelledRows === undefined ? '–' : run.labelledRows.toLocaleString('en-US')}
      </td>
      <td className="fs-num">{run.learningRate.toExponential(1)}</td>
      <td className="fs-num">{run.epochs}</td>
      <td className="fs-num">{run.batchSize}</td>
      <td className="fs-num" title={run.bestMetric}>
        {formatMetric(run.best)} <span className="fs-muted">{run.bestMetric}</span>
      </td>
      <td className="fs-num" title={`Test ${run.bestMetric}, with the kept checkpoint`}>
        {formatMetric(run.test)}
        {run.test === undefined ? null : <span className="fs-muted"> {run.bestMetric}</span>}
      </td>
      <td className="fs-run-actions">
        <button
          type="button"
          className="fs-button fs-button-small"
          onClick={() => {
            cloneRun(id);
            onClone?.();
          }}
          aria-label={`Clone ${run.name} settings`}
        >
          Clone
        </button>
        {run.canTeach && (
          <button
            type="button"
            className="fs-button fs-button-small"
            onClick={() => onDistil(id)}
            aria-label={`Distil ${run.name} into a smaller model`}
            title="Distil into a smaller model"
          >
            Distil
          </button>
        )}
        <button
          type="button"
          className="fs-button fs-button-small"
          onClick={() => {
            if (window.confirm(`Delete ${run.name} and its curves and checkpoint?`)) void deleteRun(id);
          }}
          disabled={run.status === 'running' || run.status === 'preparing' || run.status === 'stopping'}
          aria-label={`Delete ${run.name}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
});

/** Every run of the project: compare (overlay), open, clone into the form, distil, delete. */
export const RunsPanel = memo(function RunsPanel({ onClone }: { onClone?: () => void }) {
  const [teacherId, setTeacherId] = useState<string | null>(null);
  const teacher = useStudio((s) => (teacherId ? s.runs[teacherId] : undefined));
  const { runOrder, activeRunId, overlayRunIds } = useStudio(
    useShallow((s) => ({
      runOrder: s.runOrder,
      activeRunId: s.activeRunId,
      overlayRunIds: s.overlayRunIds,
    })),
  );
  if (runOrder.length === 0) {
    return (
      <section className="fs-runs" aria-labelledby="fs-runs-title">
        <h3 id="fs-runs-title">Runs</h3>
        <p className="fs-muted">
          No runs yet. Pick a preset and press Start training; each run is kept here to compare.
        </p>
      </section>
    );
  }
  return (
    <section className="fs-runs" aria-labelledby="fs-runs-title">
      <h3 id="fs-runs-title">Runs</h3>
      <div className="fs-table-scroll" style={{ maxHeight: 'none' }}>
        <table className="fs-table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Mode</th>
              <th scope="col">Data</th>
              <th scope="col" className="fs-num">
                Labels
              </th>
              <th scope="col" className="fs-num">
                Learning rate
              </th>
              <th scope="col" className="fs-num">
                Epochs
              </th>
              <th scope="col" className="fs-num">
                Batch
              </th>
              <th scope="col" className="fs-num">
                Best validation
              </th>
              <th scope="col" className="fs-num" title="The same metric on the test split">
                Test
              </th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {runOrder.map((id, index) => (
              <RunRow
                key={id}
                id={id}
                index={index}
                active={id === activeRunId}
                compared={overlayRunIds.includes(id)}
                onClone={onClone}
                onDistil={setTeacherId}
              />
            ))}
          </tbody>
        </table>
      </div>
      {teacher && <DistillForm key={teacher.id} teacher={teacher} onClose={() => setTeacherId(null)} />}
    </section>
  );
});
