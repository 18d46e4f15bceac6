import { describe, expect, it } from 'vitest';
import { isSupportedModelType } from './architectures.ts';
import { catalogModel, MODEL_CATALOG } from './catalog.ts';

describe('MODEL_CATALOG', () => {
  it('suggests only families the registry supports, each id once, as owner/name', () => {
    for (const model of MODEL_CATALOG) {
      expect(isSupportedModelType(model.family), model.id).toBe(true);
      expect(model.id).toMatch(/^[\w.-]+\/[\w.-]+$/);
    }
    expect(new Set(MODEL_CATALOG.map((m) => m.id)).size).toBe(MODEL_CATALOG.length);
  });

  it('finds an entry by its id whatever the case', () => {
    expect(catalogModel('FacebookAI/XLM-RoBERTa-base')?.family).toBe('xlm-roberta');
    expect(catalogModel('answerdotai/modernbert-base')?.family).toBe('modernbert');
    expect(catalogModel('microsoft/mdeberta-v3-base')?.family).toBe('deberta-v2');
    expect(catalogModel('someone/else')).toBeUndefined();
  });
});
