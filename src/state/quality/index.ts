// The data-quality room's entry point for components: label-issue searches, the data map and their actions.
export { drawDataMap, findLabelIssues, stopDataMap, stopLabelIssues } from './actions.ts';
export {
  COLOR_MODE_NAMES,
  COLOR_MODES,
  confidence,
  mapProgress,
  pointColors,
  pointsInBox,
  predictedLabel,
  type ColorMode,
  type DataMap,
  type PointColors,
} from './map.ts';
export { restoredSearches, savedSearches, searchProgress, type LabelIssueSearch } from './search.ts';
