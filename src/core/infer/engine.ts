// The forward pass of a frozen model as a pluggable engine: whatever does not train (feature
// caching for head-only and top-k, and a finished run's evaluation, predictions and playground)
// calls a ForwardEngine, and which one runs is decided here, in one place.
//
// Output kinds, per padded batch [B, T] of token ids:
//   features  the pooled last hidden state the head reads   [B, D]
//   hidden    the hidden states after the bottom `layers`   [B, T, D]
//   logits    the classifier's logits                        [B, L]
import type { BackendName } from '../backend/index.ts';

export type ForwardOutput = { kind: 'features' } | { kind: 'hidden'; layers: number } | { kind: 'logits' };

/** One padded batch, row-major [batchSize, seqLength]: ids and the 0/1 attention mask. */
export interface TokenBatch {
  ids: Int32Array;
  mask: Int32Array;
  batchSize: number;
  seqLength: number;
}

export interface ForwardEngine {
  /** What computed the output, in the words the run notes use. */
  readonly description: string;
  readonly output: ForwardOutput;
  /** The output for the batch, row-major float32 ([B, D], [B, T, D] or [B, L]). */
  run(batch: TokenBatch): Promise<Float32Array>;
  /** Releases the session (and its graph's memory); the engine is unusable afterwards. */
  dispose(): Promise<void>;
}

/** Values per row of the output for a batch padded to seqLength. */
export function outputRowSize(
  output: ForwardOutput,
  dims: { dim: number; numLabels: number },
  seqLength: number,
): number {
  if (output.kind === 'features') return dims.dim;
  if (output.kind === 'hidden') return seqLength * dims.dim;
  return dims.numLabels;
}

/**
 * The inference engines, best first where each can run:
 *   onnxruntime-node        Node, where its native binding loads (CPU, every core)
 *   onnxruntime-web-webgpu  the browser when WebGPU is the tfjs backend (same device, fused attention)
 *   onnxruntime-web-wasm    the browser otherwise, and Node without onnxruntime-node (wasm threads)
 *   tfjs                    when no ONNX Runtime loads at all (the training engine's own forward pass)
 */
export type EngineKind = 'onnxruntime-node' | 'onnxruntime-web-webgpu' | 'onnxruntime-web-wasm' | 'tfjs';

export interface EngineSituation {
  platform: 'node' | 'browser';
  /** The tfjs backend training uses. */
  backend: BackendName;
  /** Whether onnxruntime-node's native binding loaded (Node only). */
  ortNodeLoads?: boolean;
  /** Whether onnxruntime-web loaded (its wasm module and, for WebGPU, an adapter). */
  ortWebLoads?: boolean;
  /** The user asked for the training engine's forward pass (a setting, `--engine tfjs`). */
  forceTfjs?: boolean;
}

/** The one place the inference engine is chosen. */
export function chooseEngine(situation: EngineSituation): EngineKind {
  if (situation.forceTfjs) return 'tfjs';
  if (situation.platform === 'node') {
    if (situation.ortNodeLoads) return 'onnxruntime-node';
    return situation.ortWebLoads === false ? 'tfjs' : 'onnxruntime-web-wasm';
  }
  if (situation.ortWebLoads === false) return 'tfjs';
  return situation.backend === 'webgpu' ? 'onnxruntime-web-webgpu' : 'onnxruntime-web-wasm';
}

export const ENGINE_KINDS: readonly EngineKind[] = [
  'onnxruntime-node',
  'onnxruntime-web-webgpu',
  'onnxruntime-web-wasm',
  'tfjs',
];
