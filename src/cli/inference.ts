// The CLI's inference engine: onnxruntime-node where it loads, else onnxruntime-web's wasm build,
// else tfjs (core/infer's chooseEngine decides); `--engine` forces one. Whatever does not train
// (feature caching, predict, evaluate, the int8 check) runs on it.
import type { Command } from 'commander';
import {
  ENGINE_KINDS,
  engineOpener,
  type EngineKind,
  type EngineModel,
  type ForwardEngine,
  type ForwardOutput,
} from '../core/infer/index.ts';
import { loadNodeOrt, type NodeOrt } from '../node/ort-runtime.ts';
import { CliError, progress } from './context.ts';

const CLI_ENGINES = ENGINE_KINDS.filter((kind) => kind !== 'onnxruntime-web-webgpu');

export function addEngineOption(command: Command): Command {
  return command.option(
    '--engine <engine>',
    `inference engine for what does not train: ${CLI_ENGINES.join(', ')} (default: the first that loads)`,
  );
}

/** Loads the engine the flags ask for (or the best one here), saying which and why. */
export async function cliEngine(flag: string | undefined): Promise<NodeOrt> {
  if (flag !== undefined && !(CLI_ENGINES as readonly string[]).includes(flag)) {
    throw new CliError(`--engine must be one of ${CLI_ENGINES.join(', ')}, got "${flag}"`, 2);
  }
  let loaded: NodeOrt;
  try {
    loaded = await loadNodeOrt(flag ? { engine: flag as EngineKind } : {});
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (loaded.fallback) progress(`note: ${loaded.fallback}`);
  return loaded;
}

/** Opens an engine for the model's output on the loaded runtime, reporting what computes it. */
export async function openCliEngine(
  loaded: NodeOrt,
  model: EngineModel,
  output: ForwardOutput,
): Promise<ForwardEngine> {
  const engine = await engineOpener(loaded.runtime)(model, output);
  progress(`inference engine: ${engine.description}`);
  return engine;
}
