// The runs room's entry point for components and the other state modules: the record types, the
// actions and the exports. The slice itself is composed in state/store.ts.
export {
  currentSettings,
  emptyProgress,
  isRunLive,
  type EvalPoint,
  type RunDistillationRecord,
  type RunProgress,
  type RunRecord,
  type RunSettings,
  type RunStatus,
  type RunTestResult,
  type StepPoint,
} from './record.ts';
export {
  classifyTexts,
  cloneRun,
  continueRun,
  deleteRun,
  distilRun,
  evaluateLoadedModel,
  evaluationBlocker,
  hasTrainedClassifier,
  measurePredictionSpeed,
  pauseRun,
  replaceAllRuns,
  runLayers,
  resumeRun,
  selectRun,
  startBlocker,
  startRun,
  stopRun,
  toggleRunOverlay,
  updateRunSettings,
} from './actions.ts';
export { buildPredictionsCsv, exportRunZip } from './export.ts';
export { setRecordsSaver, textsOfRows } from './listener.ts';
export {
  checkDistillationChoice,
  checkStudentModelChoice,
  defaultDistillation,
  distillationArgs,
  folderName,
  teacherBlocker,
  type DistillationChoice,
  type StudentModelChoice,
} from './distill.ts';
