// Three AdamW steps on the fixtures' batch reproduce the parameters Hugging Face computed.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, it } from 'vitest';
import { ADAMW_FIXTURES, reproduceAdamWFixture } from '../test-support/adamw-fixture.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW against the Hugging Face reference', () => {
  // The fused update over host memory (cpu and wasm backends) and the tfjs-ops update (any device).
  for (const engine of ['host', 'device'] as const) {
    for (const fixture of ADAMW_FIXTURES) {
      it(`reproduces adamw.* after 3 steps on ${fixture} (${engine} engine)`, () =>
        reproduceAdamWFixture(fixture, engine));
    }
  }
});
