// The data-quality room's entry point for components: label-issue searches, the data map, the rows to label next and their actions.
export {
  drawDataMap,
  findLabelIssues,
  labelSuggestedRow,
  stopDataMap,
  stopLabelIssues,
  stopSuggestions,
  suggestRowsToLabel,
  trainOnGrownData,
} from './actions.ts';
export {
  labellingKey,
  nextUnlabelled,
  suggestionProgress,
  type LabellingKey,
  type RowSuggestions,
  type SuggestedRow,
} from './suggest.ts';
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
