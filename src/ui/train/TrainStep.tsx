import { useCallback, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { isRunLive, type RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { RunsPanel } from '../runs/RunsPanel.tsx';
import { RunCharts } from './RunCharts.tsx';
import { RunStatusPanel } from './RunStatusPanel.tsx';
import { SearchPanel } from './SearchPanel.tsx';
import { TrainSettings } from './TrainSettings.tsx';
import './train.css';

/** Settings, Start / Pause / Resume / Stop, live curves and every run of the project. */
export function TrainStep() {
  const formRef = useRef<HTMLFormElement>(null);
  const runOrder = useStudio((s) => s.runOrder);
  // The shown run is the chosen one, else the one training; overlays follow it on the charts.
  const chartRuns = useStudio(
    useShallow((s) => {
      const shown =
        (s.activeRunId ? s.runs[s.activeRunId] : undefined) ??
        s.runOrder.map((id) => s.runs[id]).find((run) => run && isRunLive(run.status));
      const list: RunRecord[] = shown ? [shown] : [];
      for (const id of s.overlayRunIds) {
        const run = s.runs[id];
        if (run && run.id !== shown?.id) list.push(run);
      }
      return list;
    }),
  );
  const colorIndex = useCallback((id: string) => runOrder.indexOf(id), [runOrder]);
  const shownRun = chartRuns[0];
  const scrollToForm = useCallback(
    () => formRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' }),
    [],
  );

  return (
    <section className="fs-step" aria-labelledby="fs-train-title">
      <div className="fs-step-head">
        <h2 id="fs-train-title">Train</h2>
        <p className="fs-lead">
          Pick how much of the model trains, adjust the settings if you like, and start. Curves update live;
          every run is kept below to compare.
        </p>
      </div>
      <TrainSettings formRef={formRef} />
      {shownRun && <RunStatusPanel run={shownRun} />}
      <RunCharts runs={chartRuns} colorIndex={colorIndex} />
      <SearchPanel />
      <RunsPanel onClone={scrollToForm} />
    </section>
  );
}
