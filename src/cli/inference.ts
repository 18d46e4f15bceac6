// The CLI's inference engine: onnxruntime-node where it loads, else onnxruntime-web's wasm build,
// else tfjs (core/infer's chooseEngine decides); `--engine` forces one. Whatever does not train
// (feature caching in train, distill, search and label-issues; predict, evaluate, the int8 check)
// runs on it.
import type { Command } from 'commander';
import {
  ENGINE_KINDS,
  engineOpener,
  type EngineKind,
  type EngineModel,
  type ForwardEngine,
  type ForwardOutput,
} from '../core/infer/index.ts';
import type { FeatureEngineFactory } from '../core/train/index.ts';
import { loadNodeOrt, type NodeOrt } from '../node/ort-runtime.ts';
import { CliError, progress } from './context.ts';

const CLI_ENGINES = ENGINE_KINDS.filter((kind) => kind !== 'onnxruntime-web-webgpu');

export function addEngineOption(command: Command): Command {
  return command.option(
    '--engine <engine>',
    `inference engine for what does not train: ${CLI_ENGINES.join(', ')} (default: the first that loads)`,
  );
}

function checkEngineFlag(flag: string | undefined): void {
  if (flag !== undefined && !(CLI_ENGINES as readonly string[]).includes(flag)) {
    throw new CliError(`--engine must be one of ${CLI_ENGINES.join(', ')}, got "${flag}"`, 2);
  }
}

/** Loads the engine the flags ask for (or the best one here), saying which and why. */
export async function cliEngine(flag: string | undefined): Promise<NodeOrt> {
  checkEngineFlag(flag);
  let loaded: NodeOrt;
  try {
    loaded = await loadNodeOrt(flag ? { engine: flag as EngineKind } : {});
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (loaded.fallback) progress(`note: ${loaded.fallback}`);
  return loaded;
}

/** What a training command infers on (the frozen part's cached output, the int8 check). */
export interface CliInference {
  /** The runtime --engine asks for, loaded on first use, so a full fine-tune never loads one. */
  load(): Promise<NodeOrt>;
  /** The frozen part's forward pass for head-only and top-k feature caching. */
  featureEngine: FeatureEngineFactory;
}

/** The inference of a training command, from its --engine flag (checked now). */
export function cliInference(flag: string | undefined): CliInference {
  checkEngineFlag(flag);
  let loaded: Promise<NodeOrt> | null = null;
  const load = () => (loaded ??= cliEngine(flag));
  return {
    load,
    featureEngine: async (frozen, output) => openCliEngine(await load(), frozen, output),
  };
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
