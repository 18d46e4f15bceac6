// The data map as the studio keeps it: which run's predictions colour it, on which data version,
// how far its stages are, the layout, and what each point shows (given labels, the run's
// prediction and confidence, a label issue's quality). Pure reducers and colourings, tested
// without a worker or a canvas.
import type { EncodedDataset, EncodedSplit } from '../../core/tokenize/index.ts';
import type { MapOutcome, MapStageName, TrainEvent } from '../../workers/protocol.ts';
import type { LabelIssueSearch } from './search.ts';

const SPLITS = ['train', 'validation', 'test'] as const;

export interface DataMap {
  runId: string;
  requestId: string;
  status: 'running' | 'done' | 'error';
  /** Data version the map was drawn from (the edit list's version then). */
  dataVersion: number;
  seed: number;
  stage: MapStageName;
  /** Share of the stage done, in [0, 1]. */
  fraction: number;
  outcome: MapOutcome | null;
  /** Each point's given labels, row-major [points × labels] of 0/1 (single-label: one 1). */
  given: Uint8Array | null;
  labels: string[];
  multiLabel: boolean;
  error: string | null;
}

export function startedMap(
  runId: string,
  requestId: string,
  seed: number,
  dataVersion: number,
  labels: readonly string[],
  multiLabel: boolean,
): DataMap {
  return {
    runId,
    requestId,
    status: 'running',
    dataVersion,
    seed,
    stage: 'features',
    fraction: 0,
    outcome: null,
    given: null,
    labels: [...labels],
    multiLabel,
    error: null,
  };
}

/** Each point's given labels as 0/1 per label, from the encoded data the map was computed on. */
export function givenLabels(
  data: Pick<EncodedDataset, 'labels' | 'multiLabel'> &
    Record<(typeof SPLITS)[number], Pick<EncodedSplit, 'labels'>>,
  outcome: Pick<MapOutcome, 'split' | 'indexInSplit'>,
): Uint8Array {
  const k = data.labels.length;
  const n = outcome.split.length;
  const given = new Uint8Array(n * k);
  for (let p = 0; p < n; p++) {
    const split = data[SPLITS[outcome.split[p]!]!];
    const i = outcome.indexInSplit[p]!;
    if (data.multiLabel) {
      for (let j = 0; j < k; j++) given[p * k + j] = split.labels[i * k + j] ? 1 : 0;
    } else {
      given[p * k + split.labels[i]!] = 1;
    }
  }
  return given;
}

/** The map after one of its worker events; events of another request leave it unchanged. */
export function mapAfter(map: DataMap, event: TrainEvent): DataMap {
  if (!('requestId' in event) || event.requestId !== map.requestId || map.status !== 'running') return map;
  switch (event.type) {
    case 'mapProgress':
      return { ...map, stage: event.stage, fraction: event.fraction };
    case 'map':
      return { ...map, status: 'done', stage: 'predictions', fraction: 1, outcome: event.outcome };
    case 'error':
      return {
        ...map,
        status: 'error',
        error: event.hint ? `${event.message} ${event.hint}` : event.message,
      };
    default:
      return map;
  }
}

/** Share of the whole map done, weighting the stages by their usual cost. */
export function mapProgress(map: DataMap): number {
  if (map.status === 'done') return 1;
  const order: MapStageName[] = ['features', 'pca', 'neighbours', 'layout', 'predictions'];
  const weight: Record<MapStageName, number> = {
    features: 0.4,
    pca: 0.05,
    neighbours: 0.15,
    layout: 0.3,
    predictions: 0.1,
  };
  let done = 0;
  for (const stage of order) {
    if (stage === map.stage) return Math.min(1, done + weight[stage] * map.fraction);
    done += weight[stage];
  }
  return done;
}

export const COLOR_MODES = ['label', 'split', 'predicted', 'correct', 'confidence', 'issue'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export const COLOR_MODE_NAMES: Record<ColorMode, string> = {
  label: 'Given label',
  split: 'Split',
  predicted: 'Predicted label',
  correct: 'Correct or not',
  confidence: 'Confidence',
  issue: 'Label-issue score',
};

/** One colour of the legend and the points drawn in it. */
export interface LegendEntry {
  name: string;
  /** CSS colour. */
  color: string;
}

/** Each point's colour as an index into `legend`, or into a continuous ramp (`ramp`). */
export interface PointColors {
  legend: LegendEntry[];
  /** Per point: an index into `palette` (RGB triples). */
  index: Uint16Array;
  palette: Uint8Array;
  /** For continuous modes: what the ramp's ends mean. */
  ramp?: { low: string; high: string };
}

// Tableau 10, then shades of it for more labels.
const CATEGORICAL: [number, number, number][] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
];
const GREY: [number, number, number] = [190, 190, 190];
const RAMP_STEPS = 16;

function categorical(i: number): [number, number, number] {
  const base = CATEGORICAL[i % CATEGORICAL.length]!;
  const shade = Math.floor(i / CATEGORICAL.length) % 3;
  const factor = [1, 0.7, 1.25][shade]!;
  return base.map((c) => Math.max(0, Math.min(255, Math.round(c * factor)))) as [number, number, number];
}

const css = ([r, g, b]: readonly number[]) => `rgb(${r}, ${g}, ${b})`;

/** From dark blue (low) to yellow (high), in RAMP_STEPS steps. */
function rampColor(step: number): [number, number, number] {
  const t = step / (RAMP_STEPS - 1);
  return [Math.round(40 + 215 * t), Math.round(40 + 180 * t), Math.round(140 - 100 * t)];
}

/** Index of a point's predicted label: the argmax, or for multi-label the first label at 0.5 or above (-1: none). */
export function predictedLabel(
  probabilities: Float32Array,
  k: number,
  p: number,
  multiLabel: boolean,
): number {
  let best = multiLabel ? -1 : 0;
  for (let j = 0; j < k; j++) {
    const value = probabilities[p * k + j]!;
    if (multiLabel ? value >= 0.5 && best < 0 : value > probabilities[p * k + best]!) best = j;
  }
  return best;
}

/** Whether the run's decision for a point equals its given labels (multi-label: every label's yes/no). */
export function isCorrect(
  map: Pick<DataMap, 'given' | 'multiLabel'>,
  outcome: MapOutcome,
  p: number,
): boolean {
  const k = outcome.numLabels;
  if (!map.multiLabel) return map.given![p * k + predictedLabel(outcome.probabilities, k, p, false)] === 1;
  for (let j = 0; j < k; j++) {
    if ((outcome.probabilities[p * k + j]! >= 0.5 ? 1 : 0) !== map.given![p * k + j]) return false;
  }
  return true;
}

/** The run's confidence in its decision for a point: the top probability (multi-label: the least sure label's). */
export function confidence(outcome: MapOutcome, p: number, multiLabel: boolean): number {
  const k = outcome.numLabels;
  let value = multiLabel ? 1 : 0;
  for (let j = 0; j < k; j++) {
    const q = outcome.probabilities[p * k + j]!;
    value = multiLabel ? Math.min(value, Math.max(q, 1 - q)) : Math.max(value, q);
  }
  return value;
}

/** Each point's colour under `mode`; `issues` gives the label-issue scores where a search is done. */
export function pointColors(
  map: DataMap,
  mode: ColorMode,
  issues: LabelIssueSearch | undefined,
): PointColors {
  const outcome = map.outcome!;
  const n = outcome.rows.length;
  const k = outcome.numLabels;
  const index = new Uint16Array(n);
  let colors: [number, number, number][];
  let legend: LegendEntry[];
  let ramp: PointColors['ramp'];
  const firstGiven = (p: number) => {
    for (let j = 0; j < k; j++) if (map.given![p * k + j]) return j;
    return -1;
  };
  if (mode === 'label' || mode === 'predicted') {
    colors = [...map.labels.map((_, i) => categorical(i)), GREY];
    legend = [
      ...map.labels.map((name, i) => ({ name, color: css(colors[i]!) })),
      ...(map.multiLabel ? [{ name: '(none)', color: css(GREY) }] : []),
    ];
    for (let p = 0; p < n; p++) {
      const label =
        mode === 'label' ? firstGiven(p) : predictedLabel(outcome.probabilities, k, p, map.multiLabel);
      index[p] = label < 0 ? map.labels.length : label;
    }
  } else if (mode === 'split') {
    colors = [categorical(0), categorical(1), categorical(2)];
    legend = SPLITS.map((name, i) => ({ name, color: css(colors[i]!) }));
    index.set(outcome.split);
  } else if (mode === 'correct') {
    colors = [
      [89, 161, 79],
      [225, 87, 89],
    ];
    legend = [
      { name: 'correct', color: css(colors[0]!) },
      { name: 'wrong', color: css(colors[1]!) },
    ];
    for (let p = 0; p < n; p++) index[p] = isCorrect(map, outcome, p) ? 0 : 1;
  } else {
    colors = [...Array.from({ length: RAMP_STEPS }, (_, s) => rampColor(s)), GREY];
    const quality = new Map<number, number>();
    if (mode === 'issue')
      for (const issue of issues?.outcome?.issues ?? []) quality.set(issue.row, issue.quality);
    for (let p = 0; p < n; p++) {
      if (mode === 'confidence') {
        index[p] = Math.min(RAMP_STEPS - 1, Math.floor(confidence(outcome, p, map.multiLabel) * RAMP_STEPS));
      } else {
        const q = quality.get(outcome.rows[p]!);
        // Suspect rows (low quality) bright; rows not flagged grey.
        index[p] = q === undefined ? RAMP_STEPS : Math.min(RAMP_STEPS - 1, Math.floor((1 - q) * RAMP_STEPS));
      }
    }
    ramp =
      mode === 'confidence'
        ? { low: 'unsure', high: 'sure' }
        : { low: 'flagged, mild', high: 'flagged, most suspect' };
    legend = [
      { name: ramp.low, color: css(colors[0]!) },
      { name: ramp.high, color: css(colors[RAMP_STEPS - 1]!) },
      ...(mode === 'issue' ? [{ name: 'not flagged', color: css(GREY) }] : []),
    ];
  }
  const palette = new Uint8Array(colors.length * 3);
  colors.forEach((c, i) => palette.set(c, i * 3));
  return { legend, index, palette, ...(ramp ? { ramp } : {}) };
}

/** Points inside a box of map coordinates (corners in any order). */
export function pointsInBox(
  positions: Float32Array,
  corner: readonly [number, number],
  other: readonly [number, number],
): number[] {
  const [x0, x1] = [Math.min(corner[0], other[0]), Math.max(corner[0], other[0])];
  const [y0, y1] = [Math.min(corner[1], other[1]), Math.max(corner[1], other[1])];
  const inside: number[] = [];
  for (let p = 0; p < positions.length / 2; p++) {
    const x = positions[2 * p]!;
    const y = positions[2 * p + 1]!;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inside.push(p);
  }
  return inside;
}
