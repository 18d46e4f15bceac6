import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { writeSafetensors } from '../model/safetensors.ts';
import { decodeSafetensors } from './safetensors.ts';

describe('reading the weights back for an export', () => {
  it('returns F16 weights as float32', () => {
    const bytes = new Uint8Array(
      readFileSync(join(fixtureModelDir('distilbert-tiny-mlm-f16'), 'model.safetensors')),
    );
    const tensors = decodeSafetensors(bytes);
    expect(tensors.length).toBeGreaterThan(0);
    for (const tensor of tensors) {
      expect(tensor.data).toBeInstanceOf(Float32Array);
      expect(tensor.data.length).toBe(tensor.shape.reduce((a, b) => a * b, 1));
    }
  });

  it('refuses tensors that are not float weights, naming the file and the tensor', () => {
    const bytes = new Uint8Array(
      readFileSync(join(fixtureModelDir('distilbert-tiny-seqcls'), 'reference.safetensors')),
    );
    expect(() => decodeSafetensors(bytes)).toThrow(/^model\.safetensors: ".+" has unsupported dtype I64/);
  });

  it('refuses a truncated or padded file', () => {
    const good = writeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }]);
    expect(() => decodeSafetensors(good.subarray(0, good.byteLength - 1))).toThrow(
      /model\.safetensors is not a valid safetensors file: it is truncated/,
    );
    const padded = new Uint8Array(good.byteLength + 4);
    padded.set(good);
    expect(() => decodeSafetensors(padded, 'weights.safetensors')).toThrow(
      /weights\.safetensors is not a valid safetensors file: it has 4 unexpected bytes/,
    );
  });
});
