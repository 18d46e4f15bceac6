// The data-quality room's entry point for components: label-issue searches and their actions.
export { findLabelIssues, stopLabelIssues } from './actions.ts';
export { restoredSearches, savedSearches, searchProgress, type LabelIssueSearch } from './search.ts';
