import { describe, expect, it } from 'vitest';
import { chooseEngine, outputRowSize, type EngineKind, type EngineSituation } from './engine.ts';

describe('chooseEngine', () => {
  const cases: [string, EngineSituation, EngineKind][] = [
    [
      'Node with the native binding',
      { platform: 'node', backend: 'cpu', ortNodeLoads: true },
      'onnxruntime-node',
    ],
    ['Node without it', { platform: 'node', backend: 'wasm', ortNodeLoads: false }, 'onnxruntime-web-wasm'],
    [
      'Node with neither runtime',
      { platform: 'node', backend: 'cpu', ortNodeLoads: false, ortWebLoads: false },
      'tfjs',
    ],
    ['browser training on WebGPU', { platform: 'browser', backend: 'webgpu' }, 'onnxruntime-web-webgpu'],
    ['browser training on WASM', { platform: 'browser', backend: 'wasm' }, 'onnxruntime-web-wasm'],
    ['browser training on WebGL', { platform: 'browser', backend: 'webgl' }, 'onnxruntime-web-wasm'],
    [
      'browser without onnxruntime-web',
      { platform: 'browser', backend: 'webgpu', ortWebLoads: false },
      'tfjs',
    ],
    [
      'the user asks for tfjs',
      { platform: 'node', backend: 'cpu', ortNodeLoads: true, forceTfjs: true },
      'tfjs',
    ],
  ];
  it.each(cases)('%s', (_name, situation, expected) => {
    expect(chooseEngine(situation)).toBe(expected);
  });
});

describe('outputRowSize', () => {
  it('is dim, tokens × dim or the label count', () => {
    const dims = { dim: 32, numLabels: 3 };
    expect(outputRowSize({ kind: 'features' }, dims, 16)).toBe(32);
    expect(outputRowSize({ kind: 'hidden', layers: 1 }, dims, 16)).toBe(512);
    expect(outputRowSize({ kind: 'logits' }, dims, 16)).toBe(3);
  });
});
