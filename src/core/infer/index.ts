// Inference engines for what does not train: one interface, chosen in one place (engine.ts).
export * from './engine.ts';
export { ModelGraphs } from './graphs.ts';
export { engineOpener, modelGraphs, type EngineModel } from './model-engines.ts';
export {
  openOrtSessions,
  ortEngine,
  type OrtRuntime,
  type OrtSessionLike,
  type OrtTensorLike,
} from './ort-engine.ts';
export { tfjsEngine } from './tfjs-engine.ts';
export { openForwardEngine } from './open.ts';
export { evaluateQuantization } from './quantization-eval.ts';
