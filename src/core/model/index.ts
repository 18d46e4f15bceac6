// The model room's public surface: configs and families, the encoder, classification, checkpoint
// loading and saving.
export {
  type ModelFileSource,
  blobModelSource,
  hubModelSource,
  isHubRepoId,
  parseHubModelId,
  formatHubModelId,
  type HubModelId,
  type CacheLike,
} from './source.ts';
export {
  parseConfig,
  configToJson,
  withLabels,
  type Activation,
  type ModelConfig,
  type ModelType,
  type ProblemType,
  classifierConfigJson,
} from './config.ts';
export {
  SUPPORTED_MODEL_TYPES,
  architectureFor,
  architectureOf,
  isSupportedModelType,
  type Architecture,
} from './architectures.ts';
export * from './encoder.ts';
export {
  argmaxRows,
  classify,
  probabilitiesOf,
  type Classification,
  type ClassifyOptions,
  type TokenRows,
  logSumExp,
} from './classify.ts';
export { interpretLogits, tokenRows, validateRows, type Prediction, type TokenizedRow } from './predict.ts';
export {
  TOKENIZER_FILES,
  countParameters,
  disposeParams,
  initParams,
  loadModel,
  paramsToSafetensors,
  type LoadedModel,
  type LoadOptions,
  type LoadReport,
} from './load.ts';
export { MODEL_CATALOG } from './catalog.ts';
export { debertaSettings, relativeRowsByDistance } from './deberta.ts';
export { modernBertSettings, rotaryTables } from './modernbert.ts';
export { MASKED_SCORE } from './encoder-ops.ts';
export { headForward, param } from './layers.ts';
export { runModelCopy } from './run-copy.ts';
export { mergedParams, storedNames, tableName, type ReadableParam } from './row-chunks.ts';
export {
  SafetensorsError,
  decodeTensors,
  readSafetensors,
  readSafetensorsHeader,
  safetensorsLayout,
  writeSafetensors,
} from './safetensors.ts';
export {
  canonicalName,
  headMadeAtLoad,
  isBlockParameter,
  isHeadName,
  layerPrefix,
  parameterShapes,
} from './weights.ts';
