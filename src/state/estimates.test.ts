import { describe, expect, it } from 'vitest';
import { estimateModes, type EstimateInput } from './estimates.ts';

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
