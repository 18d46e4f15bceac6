import { describe, expect, it } from 'vitest';
import { estimateModes, fitWarning, WASM_HEAP_BYTES, type EstimateInput } from './estimates.ts';

// distilbert-base-uncased: 66,955,010 parameters with a 2-label head (transformers' count).
const base: EstimateInput = {
  layers: 6,
  dim: 768,
  hiddenDim: 3072,
  heads: 12,
  numLabels: 2,
  parameters: 66_955_010,
  timing: { overheadSec: 0.01, secPerToken: 0.0005 },
  trainExamples: 8000,
  evalExamples: 2000,
  tokensPerExample: 64,
  batchSize: 16,
  topLayers: 2,
};

describe('estimateModes', () => {
  it('orders the modes by cost: head only < top-k < full', () => {
    const [head, topK, full] = estimateModes(base);
    expect(head!.epochSeconds!).toBeLessThan(topK!.epochSeconds!);
    expect(topK!.epochSeconds!).toBeLessThan(full!.epochSeconds!);
    expect(head!.memoryBytes).toBeLessThan(full!.memoryBytes);
  });

  it('keeps weights, gradients and two Adam moments for full fine-tuning', () => {
    const full = estimateModes(base)[2]!;
    expect(full.memoryBytes).toBeGreaterThanOrEqual(66_955_010 * 4 * 4);
  });

  it('caches one vector per example for head only, a full sequence per example for top-k', () => {
    const [head, topK] = estimateModes(base);
    expect(head!.cacheBytes).toBe(10_000 * 768 * 4);
    expect(topK!.cacheBytes).toBe(10_000 * 64 * 768 * 4);
  });

  it('scales time with the measured speed and gives none without a timing', () => {
    const slow = estimateModes({ ...base, timing: { overheadSec: 0.02, secPerToken: 0.001 } })[2]!;
    const fast = estimateModes(base)[2]!;
    expect(slow.epochSeconds! / fast.epochSeconds!).toBeCloseTo(2, 6);
    expect(estimateModes({ ...base, timing: null })[2]!.epochSeconds).toBeNull();
  });

  it('counts a full epoch as three passes over train plus one over validation', () => {
    const full = estimateModes({ ...base, timing: { overheadSec: 0, secPerToken: 0.001 } })[2]!;
    // 8,000 × 64 tokens × 3 + 2,000 × 64 tokens, at 1 ms per token through all layers.
    expect(full.epochSeconds).toBeCloseTo((8000 * 64 * 3 + 2000 * 64) * 0.001, 6);
  });

  it('charges the fixed cost per batch, which dominates tiny models on slow backends', () => {
    const full = estimateModes({ ...base, timing: { overheadSec: 0.05, secPerToken: 0 } })[2]!;
    expect(full.epochSeconds).toBeCloseTo((500 * 3 + 125) * 0.05, 6);
  });

  it('needs no cache for top-k when every layer is trained', () => {
    const topK = estimateModes({ ...base, topLayers: 6 })[1]!;
    expect(topK.cacheBytes).toBe(0);
    expect(topK.cacheSeconds).toBe(0);
  });
});

// xlm-roberta-base: 278,045,186 parameters with a 2-label head (transformers' count); its 250,002 ×
// 768 word embeddings are 69% of them.
const xlmr: EstimateInput = {
  ...base,
  layers: 12,
  parameters: 278_045_186,
  trainExamples: 800,
  evalExamples: 200,
};

describe('what fits the WASM heap', () => {
  it('xlm-roberta-base full fine-tuning: 4.4 GB of weights, gradients and AdamW moments, and activations', () => {
    const full = estimateModes(xlmr)[2]!;
    // 278,045,186 × 4 bytes × 4 copies = 4,448,722,976 bytes, plus the activations of 12 blocks
    // at batch 16 × 64 tokens: (10·768 + 2·3072 + 2·12·64) floats a token = 15,360 floats,
    // 16 × 64 × 12 × 15,360 × 4 bytes = 754,974,720 bytes.
    expect(full.memoryBytes).toBe(4_448_722_976 + 754_974_720);
    expect(full.memoryBytes).toBeGreaterThan(WASM_HEAP_BYTES);
  });

  it('says a mode does not fit on WASM, and which lighter modes do', () => {
    const estimates = estimateModes(xlmr);
    const [head, topK] = estimates;
    expect(fitWarning(estimates, 'full', 'wasm')).toBe(
      `Full fine-tuning (Thorough) needs about 5.2 GB here, more than the 4.3 GB WASM can address: ` +
        `choose Top layers + head (Balanced), about ${(topK!.memoryBytes / 1e9).toFixed(1)} GB or ` +
        `Head only (Quick), about ${(head!.memoryBytes / 1e9).toFixed(1)} GB, or a smaller batch or max ` +
        'length, a smaller model, or a GPU (WebGPU) backend.',
    );
    expect(fitWarning(estimates, 'top-k', 'wasm')).toBeNull();
  });

  it('says nothing where a mode fits or the backend has no known ceiling', () => {
    expect(fitWarning(estimateModes(base), 'full', 'wasm')).toBeNull();
    expect(fitWarning(estimateModes(xlmr), 'full', 'webgpu')).toBeNull();
  });
});
