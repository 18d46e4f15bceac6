import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type EvalPoint, type RunRecord, type StepPoint } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { MetricChart, type ChartSeries } from './MetricChart.tsx';
import { runColor } from './palette.ts';
import { smoothEma, type XY } from './series.ts';

interface RunChartsProps {
  /** The active run first, then the overlaid ones. */
  runs: readonly RunRecord[];
  /** Index of each run in the project's run order, for its colour. */
  colorIndex: (id: string) => number;
}

const lossFormat = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));
const metricFormat = (v: number) => v.toFixed(3);
const lrFormat = (v: number) => (v === 0 ? '0' : v.toExponential(1));

const METRIC_NAMES: Record<string, string> = {
  accuracy: 'accuracy',
  macro_f1: 'macro F1',
  micro_f1: 'micro F1',
  weighted_f1: 'weighted F1',
  subset_accuracy: 'subset accuracy',
};

interface Line<T> {
  id: string;
  name: string;
  color: string;
  points: readonly T[];
}

const NO_POINTS: never[] = [];
const UNIT_DOMAIN: [number, number] = [0, 1];

/**
 * One line per run over the series `pick` reads. The series come from the store through a
 * shallow selector, so their array keeps its identity until one of them grows: a step event then
 * redraws the loss and learning-rate charts, not the validation ones.
 */
function useLines<T>(
  runs: readonly RunRecord[],
  colorIndex: (id: string) => number,
  pick: (run: RunRecord) => readonly T[],
): Line<T>[] {
  const ids = runs.map((run) => run.id);
  const series = useStudio(useShallow((s) => ids.map((id) => (s.runs[id] ? pick(s.runs[id]) : NO_POINTS))));
  const labels = runs
    .map((run) => `${run.id}\u0000${run.name}\u0000${runColor(colorIndex(run.id))}`)
    .join('\u0001');
  return useMemo(
    () =>
      labels
        .split('\u0001')
        .filter(Boolean)
        .map((entry, i) => {
          const [id, name, color] = entry.split('\u0000') as [string, string, string];
          return { id, name, color, points: series[i] ?? NO_POINTS };
        }),
    [labels, series],
  );
}

const pickSteps = (run: RunRecord) => run.steps;
const pickEvals = (run: RunRecord) => run.evals;

/** Training loss (raw and smoothed), validation loss, a validation metric and the learning rate. */
export function RunCharts({ runs, colorIndex }: RunChartsProps) {
  const [smoothing, setSmoothing] = useState(0.8);
  const [showRaw, setShowRaw] = useState(true);
  const metricKey = runs[0]?.multiLabel ? 'micro_f1' : 'accuracy';
  const secondKey = 'macro_f1';
  const stepLines = useLines<StepPoint>(runs, colorIndex, pickSteps);
  const evalLines = useLines<EvalPoint>(runs, colorIndex, pickEvals);
  const many = stepLines.length > 1;

  const { loss, lr } = useMemo(() => {
    const loss: ChartSeries[] = [];
    const lr: ChartSeries[] = [];
    for (const line of stepLines) {
      const steps = line.points;
      const smoothed = smoothEma(
        steps.map((p) => p.loss),
        smoothing,
      ).map((y, i) => ({ x: steps[i]!.step, y }));
      // The smoothed line comes first so the chart's "latest value" reads the trend, not the noise.
      loss.push({
        id: `${line.id}-smooth`,
        name: many ? line.name : 'smoothed',
        color: line.color,
        points: smoothed,
      });
      if (showRaw) {
        const raw: XY[] = steps.map((p) => ({ x: p.step, y: p.loss }));
        loss.push({
          id: `${line.id}-raw`,
          name: many ? `${line.name} (raw)` : 'raw',
          color: line.color,
          points: raw,
          faint: true,
        });
      }
      lr.push({
        id: line.id,
        name: many ? line.name : 'learning rate',
        color: line.color,
        points: steps.map((p) => ({ x: p.step, y: p.lr })),
      });
    }
    return { loss, lr };
  }, [stepLines, smoothing, showRaw, many]);

  const { valLoss, valMetric } = useMemo(() => {
    const valLoss: ChartSeries[] = [];
    const valMetric: ChartSeries[] = [];
    for (const line of evalLines) {
      const evalPoints = (key: string) =>
        line.points
          .filter((e) => Number.isFinite(e.metrics[key]))
          .map((e) => ({ x: e.step, y: e.metrics[key]! }));
      valLoss.push({
        id: line.id,
        name: many ? line.name : 'validation loss',
        color: line.color,
        points: evalPoints('loss'),
        dots: true,
      });
      valMetric.push({
        id: `${line.id}-m`,
        name: many ? `${line.name} ${METRIC_NAMES[metricKey]}` : METRIC_NAMES[metricKey]!,
        color: line.color,
        points: evalPoints(metricKey),
        dots: true,
      });
      valMetric.push({
        id: `${line.id}-f1`,
        name: many ? `${line.name} ${METRIC_NAMES[secondKey]}` : METRIC_NAMES[secondKey]!,
        color: line.color,
        points: evalPoints(secondKey),
        dots: true,
        dashed: true,
      });
    }
    return { valLoss, valMetric };
  }, [evalLines, many, metricKey]);

  return (
    <section aria-label="Training curves">
      <div className="fs-chart-options">
        <label>
          Smoothing{' '}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(e) => setSmoothing(Number(e.target.value))}
            aria-label="Loss smoothing"
            aria-valuetext={smoothing.toFixed(2)}
          />{' '}
          <span className="fs-num">{smoothing.toFixed(2)}</span>
        </label>
        <label>
          <input type="checkbox" checked={showRaw} onChange={(e) => setShowRaw(e.target.checked)} /> Show raw
          loss
        </label>
        {many && <span className="fs-muted">Comparing {stepLines.length} runs</span>}
      </div>
      <div className="fs-charts">
        <MetricChart
          title="Training loss"
          label="Training loss chart"
          series={loss}
          yFormat={lossFormat}
          emptyText="The loss of every training step appears here."
        />
        <MetricChart
          title="Validation loss"
          label="Validation loss chart"
          drawSlot={2}
          series={valLoss}
          yFormat={lossFormat}
          emptyText="Validation runs every few steps and at each epoch's end."
        />
        <MetricChart
          title={`Validation ${METRIC_NAMES[metricKey]} (solid) and ${METRIC_NAMES[secondKey]} (dashed)`}
          label="Validation metric chart"
          drawSlot={3}
          series={valMetric}
          yFormat={metricFormat}
          yDomain={UNIT_DOMAIN}
          emptyText="Accuracy and F1 on the validation split, per evaluation."
        />
        <MetricChart
          title="Learning rate"
          label="Learning rate chart"
          drawSlot={1}
          series={lr}
          yFormat={lrFormat}
          emptyText="The schedule: warmup, then decay. Changes you make while training show here."
        />
      </div>
    </section>
  );
}
