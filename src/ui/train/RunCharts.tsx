import { useMemo, useState } from 'react';
import type { RunRecord } from '../../state/runs.ts';
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

/** Training loss (raw and smoothed), validation loss, a validation metric and the learning rate. */
export function RunCharts({ runs, colorIndex }: RunChartsProps) {
  const [smoothing, setSmoothing] = useState(0.8);
  const [showRaw, setShowRaw] = useState(true);
  const primary = runs[0];
  const metricKey = primary?.multiLabel ? 'micro_f1' : 'accuracy';
  const secondKey = 'macro_f1';

  const { loss, valLoss, valMetric, lr } = useMemo(() => {
    const loss: ChartSeries[] = [];
    const valLoss: ChartSeries[] = [];
    const valMetric: ChartSeries[] = [];
    const lr: ChartSeries[] = [];
    const many = runs.length > 1;
    for (const run of runs) {
      const color = runColor(colorIndex(run.id));
      const raw: XY[] = run.steps.map((p) => ({ x: p.step, y: p.loss }));
      const smoothed = smoothEma(
        run.steps.map((p) => p.loss),
        smoothing,
      ).map((y, i) => ({ x: run.steps[i]!.step, y }));
      // The smoothed line comes first so the chart's "latest value" reads the trend, not the noise.
      loss.push({ id: `${run.id}-smooth`, name: many ? `${run.name}` : 'smoothed', color, points: smoothed });
      if (showRaw) {
        loss.push({
          id: `${run.id}-raw`,
          name: many ? `${run.name} (raw)` : 'raw',
          color,
          points: raw,
          faint: true,
        });
      }
      const evalPoints = (key: string) =>
        run.evals
          .filter((e) => Number.isFinite(e.metrics[key]))
          .map((e) => ({ x: e.step, y: e.metrics[key]! }));
      valLoss.push({
        id: run.id,
        name: many ? run.name : 'validation loss',
        color,
        points: evalPoints('loss'),
        dots: true,
      });
      valMetric.push({
        id: `${run.id}-m`,
        name: many ? `${run.name} ${METRIC_NAMES[metricKey]}` : METRIC_NAMES[metricKey]!,
        color,
        points: evalPoints(metricKey),
        dots: true,
      });
      valMetric.push({
        id: `${run.id}-f1`,
        name: many ? `${run.name} ${METRIC_NAMES[secondKey]}` : METRIC_NAMES[secondKey]!,
        color,
        points: evalPoints(secondKey),
        dots: true,
        dashed: true,
      });
      lr.push({
        id: run.id,
        name: many ? run.name : 'learning rate',
        color,
        points: run.steps.map((p) => ({ x: p.step, y: p.lr })),
      });
    }
    return { loss, valLoss, valMetric, lr };
  }, [runs, colorIndex, smoothing, showRaw, metricKey]);

  return (
    <section aria-label="Training curves">
      <div className="fs-chart-options" style={{ marginBottom: 8 }}>
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
        {runs.length > 1 && <span className="fs-muted">Comparing {runs.length} runs</span>}
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
          series={valLoss}
          yFormat={lossFormat}
          emptyText="Validation runs every few steps and at each epoch's end."
        />
        <MetricChart
          title={`Validation ${METRIC_NAMES[metricKey]} (solid) and ${METRIC_NAMES[secondKey]} (dashed)`}
          label="Validation metric chart"
          series={valMetric}
          yFormat={metricFormat}
          yDomain={[0, 1]}
          emptyText="Accuracy and F1 on the validation split, per evaluation."
        />
        <MetricChart
          title="Learning rate"
          label="Learning rate chart"
          series={lr}
          yFormat={lrFormat}
          emptyText="The schedule: warmup, then decay. Changes you make while training show here."
        />
      </div>
    </section>
  );
}
