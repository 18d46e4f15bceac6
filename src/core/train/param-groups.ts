// Which parameters decay, and how fast each one learns, from its Hugging Face name alone.

/**
 * No weight decay on biases and LayerNorm weights, as the Hugging Face Trainer's default
 * parameter groups (it excludes every bias and every LayerNorm parameter).
 */
export function isNoDecay(name: string): boolean {
  // ModernBERT's LayerNorms are `norm`, `attn_norm`, `mlp_norm`, `final_norm`.
  return name.endsWith('.bias') || /layernorm|layer_norm|(?:^|[._])norm\./i.test(name);
}

/**
 * Depth of a parameter for layer-wise lr decay: embeddings 0, transformer block i → i + 1,
 * the classification head (and anything else above the encoder) nLayers + 1.
 */
export function layerDepth(name: string, nLayers: number): number {
  // DeBERTa's relative embeddings and their LayerNorm (encoder.LayerNorm) sit with the embeddings.
  if (name.includes('embeddings.') || /(?:^|\.)encoder\.LayerNorm\./.test(name)) return 0;
  const match = /(?:(?:transformer|encoder)\.layer|model\.layers)\.(\d+)\./.exec(name);
  if (match) return Number(match[1]) + 1;
  return nLayers + 1;
}

/**
 * Layer-wise learning-rate decay (differential learning rates, as in ELECTRA and ULMFiT): the
 * head learns at the base lr, the top block at lr·decay, the one below at lr·decay², …, the
 * embeddings at lr·decay^(nLayers+1). decay = 1 turns it off.
 */
export function layerLrScales(
  names: Iterable<string>,
  nLayers: number,
  decay: number,
): Record<string, number> {
  if (!(decay > 0 && decay <= 1)) throw new Error(`layer lr decay must be in (0, 1], got ${decay}`);
  const scales: Record<string, number> = {};
  for (const name of names) scales[name] = Math.pow(decay, nLayers + 1 - layerDepth(name, nLayers));
  return scales;
}
