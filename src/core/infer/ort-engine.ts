// ForwardEngine over ONNX Runtime: one session per graph the studio writes itself (see
// ../export/onnx/distilbert-onnx.ts), fed int64 ids and masks, read back as float32.
//
// onnxruntime-node and onnxruntime-web share onnxruntime-common's API; this module sees them
// through the few members it uses, so it stays free of either package and of the platform that
// loads them (src/node and src/workers hand in the module they loaded).
import type { ForwardEngine, ForwardOutput, TokenBatch } from './engine.ts';

/** The part of an ONNX Runtime tensor the engine touches. */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

/** The part of an ONNX Runtime inference session the engine touches. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** An ONNX Runtime package as loaded on this platform, with the session options that fit it. */
export interface OrtRuntime {
  /** e.g. "onnxruntime-node 1.30.0 (CPU)"; what the run notes say computed the features. */
  readonly description: string;
  createSession(graph: Uint8Array): Promise<OrtSessionLike>;
  int64Tensor(values: BigInt64Array, dims: readonly number[]): OrtTensorLike;
}

const OUTPUT_NAME = { features: 'features', hidden: 'hidden_states', logits: 'logits' } as const;

let openSessions = 0;

/** Sessions created by ortEngine and not yet released (the leak tests read it). */
export function openOrtSessions(): number {
  return openSessions;
}

function toInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i] as number);
  return out;
}

/** A session over `graph` (bytes of an ONNX model with inputs input_ids, attention_mask). */
export async function ortEngine(
  runtime: OrtRuntime,
  graph: Uint8Array,
  output: ForwardOutput,
): Promise<ForwardEngine> {
  const session = await runtime.createSession(graph);
  openSessions++;
  const outputName = OUTPUT_NAME[output.kind];
  let released = false;
  if (!session.outputNames.includes(outputName)) {
    await session.release();
    openSessions--;
    throw new Error(`the ONNX graph's outputs are ${session.outputNames.join(', ')}, expected ${outputName}`);
  }
  return {
    description: runtime.description,
    output,
    async run(batch: TokenBatch): Promise<Float32Array> {
      if (released) throw new Error('this ONNX Runtime session was released');
      const dims = [batch.batchSize, batch.seqLength];
      const feeds = {
        input_ids: runtime.int64Tensor(toInt64(batch.ids), dims),
        attention_mask: runtime.int64Tensor(toInt64(batch.mask), dims),
      };
      const results = await session.run(feeds);
      try {
        const value = results[outputName];
        if (!value || !(value.data instanceof Float32Array)) {
          throw new Error(`ONNX Runtime returned no float32 ${outputName}`);
        }
        // The output may live in the runtime's memory until disposed: keep a copy of our own.
        return value.data.slice();
      } finally {
        for (const tensor of [...Object.values(results), ...Object.values(feeds)]) tensor.dispose?.();
      }
    },
    async dispose(): Promise<void> {
      if (released) return;
      released = true;
      openSessions--;
      await session.release();
    },
  };
}
