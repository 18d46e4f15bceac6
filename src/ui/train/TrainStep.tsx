import { useCallback, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MULTI_LABEL_METRIC_NAMES, SINGLE_LABEL_METRIC_NAMES } from '../../core/metrics/index.ts';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../../core/train/config.ts';
import {
  continueRun,
  pauseRun,
  resumeRun,
  startBlocker,
  startRun,
  stopRun,
  useRuns,
  type RunRecord,
} from '../../state/runs.ts';
import { useStudio } from '../../state/store.ts';
import { RunsPanel } from '../runs/RunsPanel.tsx';
import { Notice } from '../shell/Notice.tsx';
import { ADVANCED_FIELDS, BASIC_FIELDS, type FieldContext } from './fields.ts';
import { LiveLearningRate } from './LiveLearningRate.tsx';
import { PresetPicker } from './PresetPicker.tsx';
import { RunCharts } from './RunCharts.tsx';
import { SettingField } from './SettingField.tsx';
import { TrainProgress } from './TrainProgress.tsx';
import { presetOf } from './presets.ts';
import './train.css';

const LIVE = new Set<RunRecord['status']>(['preparing', 'running', 'paused', 'stopping']);

function RunControls({ run }: { run: RunRecord | undefined }) {
  const [error, setError] = useState<string | null>(null);
  if (!run) return null;
  const live = LIVE.has(run.status);
  return (
    <div className="fs-train-controls">
      {run.status === 'running' && (
        <button type="button" className="fs-button" onClick={() => pauseRun(run.id)}>
          Pause
        </button>
      )}
      {run.status === 'paused' && (
        <button type="button" className="fs-button fs-button-primary" onClick={() => resumeRun(run.id)}>
          Resume
        </button>
      )}
      {live && (
        <button
          type="button"
          className="fs-button"
          disabled={run.status === 'stopping'}
          onClick={() => stopRun(run.id)}
          title="Ends the run; the best checkpoint so far is kept and evaluated on the test split."
        >
          {run.status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      )}
      {run.status === 'interrupted' && (
        <button
          type="button"
          className="fs-button fs-button-primary"
          onClick={() => {
            setError(null);
            continueRun(run.id).catch((reason: unknown) =>
              setError(reason instanceof Error ? reason.message : String(reason)),
            );
          }}
        >
          Continue from checkpoint
        </button>
      )}
      {(run.status === 'running' || run.status === 'paused') && (
        <LiveLearningRate
          key={`${run.id}-${run.settings.learningRate}`}
          runId={run.id}
          current={run.settings.learningRate}
          disabled={false}
        />
      )}
      {error && (
        <p role="alert" className="fs-field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function RunStatusPanel({ run }: { run: RunRecord }) {
  const interrupted = run.status === 'interrupted';
  return (
    <section className="fs-card" aria-label={`${run.name} progress`}>
      <div className="fs-card-head">
        <h3>
          {run.name}{' '}
          <span className="fs-muted fs-small">
            {run.modelId} · {presetOf(run.settings).name.toLowerCase()} · lr{' '}
            {run.settings.learningRate.toExponential(1)}
          </span>
        </h3>
        <span className={`fs-status fs-status-${run.status}`} role="status" aria-label="Run status">
          {run.status}
        </span>
      </div>
      <TrainProgress run={run} />
      <div style={{ marginTop: 10 }}>
        <RunControls run={run} />
      </div>
      {interrupted && (
        <p className="fs-muted fs-small">
          The page was closed while this run trained. Its curves up to step {run.progress.step} are kept;
          {run.saved?.epoch
            ? ` it can continue from the checkpoint saved at step ${run.saved.epoch.step}.`
            : ' no epoch had finished, so it would start again.'}
        </p>
      )}
      {run.error && <Notice tone="error" message={run.error} />}
      {run.message && !run.error && (
        <p className="fs-small" role="status">
          {run.message}
        </p>
      )}
      {run.notices.length > 0 && (
        <ul
          className="fs-small fs-muted"
          aria-label="Training notes"
          style={{ margin: '8px 0 0', paddingLeft: 18 }}
        >
          {run.notices.slice(-5).map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Settings, Start / Pause / Resume / Stop, live curves and every run of the project. */
export function TrainStep() {
  const { runs, runOrder, activeRunId, overlayRunIds, draft, setDraft } = useRuns(
    useShallow((s) => ({
      runs: s.runs,
      runOrder: s.runOrder,
      activeRunId: s.activeRunId,
      overlayRunIds: s.overlayRunIds,
      draft: s.draftSettings,
      setDraft: s.setDraftSettings,
    })),
  );
  const { maxLength, multiLabel, labels, nLayers } = useStudio(
    useShallow((s) => ({
      maxLength: s.data.maxLength,
      multiLabel: s.data.analysis?.mapping.multiLabel ?? false,
      labels: s.data.analysis?.labels ?? [],
      nLayers: s.model.summary?.layers ?? 6,
    })),
  );
  const [startError, setStartError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const config: TrainConfig = useMemo(() => {
    const base = draft ?? { ...defaultTrainConfig('top-k'), layers: 2 };
    return maxLength ? { ...base, maxLength } : base;
  }, [draft, maxLength]);
  const defaults = useMemo(() => {
    const d = defaultTrainConfig(config.mode);
    return { ...d, layers: config.mode === 'top-k' ? 2 : d.layers, maxLength: config.maxLength };
  }, [config.mode, config.maxLength]);
  const context: FieldContext = {
    multiLabel,
    nLayers,
    metricOptions: multiLabel ? MULTI_LABEL_METRIC_NAMES : SINGLE_LABEL_METRIC_NAMES,
  };
  const problems = checkTrainConfig(config, { nLayers });
  const update = useCallback(
    (patch: Partial<TrainConfig>) => setDraft({ ...config, ...patch }),
    [config, setDraft],
  );

  const activeRun = activeRunId ? runs[activeRunId] : undefined;
  const liveRun = runOrder.map((id) => runs[id]).find((run) => run && LIVE.has(run.status));
  const shownRun = activeRun ?? liveRun;
  const chartRuns = useMemo(() => {
    const list: RunRecord[] = [];
    if (shownRun) list.push(shownRun);
    for (const id of overlayRunIds) {
      const run = runs[id];
      if (run && run.id !== shownRun?.id) list.push(run);
    }
    return list;
  }, [shownRun, overlayRunIds, runs]);
  const colorIndex = useCallback((id: string) => runOrder.indexOf(id), [runOrder]);
  const blocker = startBlocker();

  const start = () => {
    setStartError(null);
    if (problems.length > 0) {
      setStartError(problems.join('; '));
      return;
    }
    setStarting(true);
    startRun(config)
      .catch((reason: unknown) => setStartError(reason instanceof Error ? reason.message : String(reason)))
      .finally(() => setStarting(false));
  };

  const fieldProps = {
    config,
    defaults,
    labels,
    metricOptions: context.metricOptions,
    disabled: false,
    onChange: update,
  };

  return (
    <section className="fs-step" aria-labelledby="fs-train-title">
      <div className="fs-step-head">
        <h2 id="fs-train-title">Train</h2>
        <p className="fs-lead">
          Pick how much of the model trains, adjust the settings if you like, and start. Curves update live;
          every run is kept below to compare.
        </p>
      </div>

      <form
        ref={formRef}
        className="fs-card"
        aria-label="Training settings"
        onSubmit={(event) => {
          event.preventDefault();
          start();
        }}
      >
        <PresetPicker config={config} disabled={false} onPick={(settings) => setDraft(settings)} />
        <div className="fs-hp-grid">
          {BASIC_FIELDS.filter((spec) => !spec.when || spec.when(config, context)).map((spec) => (
            <SettingField key={spec.key} spec={spec} {...fieldProps} />
          ))}
          <div className="fs-hp">
            <span style={{ fontWeight: 600, fontSize: '0.9rem' }}>Max length</span>
            <span>{config.maxLength} tokens</span>
            <p className="fs-hp-help">
              Set in the Data step, where the token-length histogram shows what it cuts.
            </p>
          </div>
        </div>
        <details className="fs-advanced">
          <summary>
            Advanced settings (schedule, warmup, weight decay, class weights, early stopping, …)
          </summary>
          <div className="fs-hp-grid">
            {ADVANCED_FIELDS.filter((spec) => !spec.when || spec.when(config, context)).map((spec) => (
              <SettingField key={spec.key} spec={spec} {...fieldProps} />
            ))}
          </div>
        </details>
        <div className="fs-form-actions">
          <button
            type="submit"
            className="fs-button fs-button-primary"
            disabled={starting || blocker !== null || problems.length > 0}
          >
            {starting ? 'Starting…' : 'Start training'}
          </button>
          <button type="button" className="fs-button fs-button-quiet" onClick={() => setDraft(null)}>
            Reset to defaults
          </button>
          {blocker && <span className="fs-muted">{blocker}</span>}
        </div>
        {problems.length > 0 && (
          <p className="fs-field-error" role="alert">
            Fix before starting: {problems.join('; ')}.
          </p>
        )}
        {startError && <Notice tone="error" message={`The run could not start: ${startError}`} />}
      </form>

      {shownRun && <RunStatusPanel run={shownRun} />}
      <RunCharts runs={chartRuns} colorIndex={colorIndex} />
      <RunsPanel onClone={() => formRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' })} />
    </section>
  );
}
