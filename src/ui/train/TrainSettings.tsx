import { memo, useCallback, useMemo, useState, type Ref } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MULTI_LABEL_METRIC_NAMES, SINGLE_LABEL_METRIC_NAMES } from '../../core/metrics/index.ts';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../../core/train/index.ts';
import {
  evaluateLoadedModel,
  evaluationBlocker,
  hasTrainedClassifier,
  isRunLive,
  startBlocker,
  startRun,
} from '../../state/runs/index.ts';
import { fitWarning } from '../../core/train/index.ts';
import { useStudio } from '../../state/store.ts';
import { useModeEstimates } from '../model/useModeEstimates.ts';
import { Notice } from '../shell/Notice.tsx';
import { ADVANCED_FIELDS, BASIC_FIELDS, type FieldContext } from './fields.ts';
import { MaxLengthField } from './MaxLengthField.tsx';
import { PresetPicker } from './PresetPicker.tsx';
import { SettingField } from './SettingField.tsx';

/**
 * The next run's settings: a preset, the common settings with their help, the advanced ones
 * folded away, and Start. Subscribes only to what it shows, so a streaming run does not redraw it.
 */
function TrainSettingsForm({ formRef }: { formRef?: Ref<HTMLFormElement> }) {
  const draft = useStudio((s) => s.draftSettings);
  const setDraft = useStudio((s) => s.setDraftSettings);
  // Which run, if any, is training: the only thing about runs that changes this form.
  useStudio((s) => s.runOrder.find((id) => isRunLive(s.runs[id]?.status)) ?? null);
  const { maxLength, multiLabel, labels, nLayers } = useStudio(
    useShallow((s) => ({
      maxLength: s.data.maxLength,
      multiLabel: s.data.analysis?.mapping.multiLabel ?? false,
      labels: s.data.analysis?.labels ?? [],
      nLayers: s.model.summary?.layers ?? 6,
      // Read so the form redraws when the data or the model becomes ready.
      ready: `${s.data.confirmed}|${s.model.status}`,
    })),
  );
  const [startError, setStartError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

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
  const blocker = startBlocker();
  // A model that came with its own classifier (trained elsewhere) can be scored before, or instead of, training.
  const trainedClassifier = useStudio((s) =>
    s.model.summary ? hasTrainedClassifier(s.model.summary) : false,
  );
  const evaluateBlocker = trainedClassifier ? evaluationBlocker() : null;
  const backend = useStudio((s) => s.model.backend.report?.name);
  const computed = useModeEstimates({
    batchSize: config.batchSize,
    topLayers: config.layers,
    maxLength: config.maxLength,
  });
  const doesNotFit = computed ? fitWarning(computed.estimates, config.mode, backend) : null;

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

  const evaluate = () => {
    setStartError(null);
    setStarting(true);
    evaluateLoadedModel(config)
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
        <MaxLengthField maxLength={config.maxLength} />
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
        {trainedClassifier && (
          <button
            type="button"
            className="fs-button"
            disabled={starting || evaluateBlocker !== null}
            title={
              evaluateBlocker ??
              'Score the loaded model as it is on the validation and test splits, without training: a run of no steps, with metrics, playground and export'
            }
            onClick={evaluate}
          >
            Evaluate as loaded
          </button>
        )}
        <button type="button" className="fs-button fs-button-quiet" onClick={() => setDraft(null)}>
          Reset to defaults
        </button>
        {blocker && <span className="fs-muted">{blocker}</span>}
        {!blocker && evaluateBlocker && <span className="fs-muted">{evaluateBlocker}</span>}
      </div>
      {doesNotFit && (
        <p className="fs-warn-text" role="status" aria-label="Memory warning">
          {doesNotFit}
        </p>
      )}
      {problems.length > 0 && (
        <p className="fs-field-error" role="alert">
          Fix before starting: {problems.join('; ')}.
        </p>
      )}
      {startError && <Notice tone="error" message={`The run could not start: ${startError}`} />}
    </form>
  );
}

/** Memoized: the Train step redraws with every batch of steps, the form only when its inputs change. */
export const TrainSettings = memo(TrainSettingsForm);
