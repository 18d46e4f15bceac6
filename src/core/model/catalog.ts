// The models the Model step suggests: checkpoints of the supported families that analysts ask
// for, from the smallest and fastest to multilingual ones. Sizes are the checkpoints' own
// parameter counts (encoder, embeddings and pooler), rounded as their model cards give them.
import type { ModelType } from './config.ts';

export interface CatalogModel {
  /** Hugging Face Hub repository id. */
  id: string;
  /** `config.json`'s model_type. */
  family: ModelType;
  /** Parameters, in millions. */
  parametersMillions: number;
  languages: string;
  licence: string;
  /** What it is good for, in a few words. */
  note: string;
}

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'distilbert/distilbert-base-uncased',
    family: 'distilbert',
    parametersMillions: 66,
    languages: 'English',
    licence: 'Apache-2.0',
    note: 'the default: fast and accurate for English',
  },
  {
    id: 'sentence-transformers/all-MiniLM-L6-v2',
    family: 'bert',
    parametersMillions: 22,
    languages: 'English',
    licence: 'Apache-2.0',
    note: 'the smallest: several times faster on a laptop',
  },
  {
    id: 'microsoft/MiniLM-L12-H384-uncased',
    family: 'bert',
    parametersMillions: 33,
    languages: 'English',
    licence: 'MIT',
    note: 'small and deeper than MiniLM-L6',
  },
  {
    id: 'distilbert/distilroberta-base',
    family: 'roberta',
    parametersMillions: 82,
    languages: 'English',
    licence: 'Apache-2.0',
    note: 'RoBERTa’s byte-level tokenizer: emoji, odd spellings',
  },
  {
    id: 'google-bert/bert-base-uncased',
    family: 'bert',
    parametersMillions: 110,
    languages: 'English',
    licence: 'Apache-2.0',
    note: 'the classic baseline',
  },
  {
    id: 'FacebookAI/roberta-base',
    family: 'roberta',
    parametersMillions: 125,
    languages: 'English',
    licence: 'MIT',
    note: 'often the most accurate of these for English',
  },
  {
    id: 'answerdotai/ModernBERT-base',
    family: 'modernbert',
    parametersMillions: 149,
    languages: 'English (and code)',
    licence: 'Apache-2.0',
    note: 'long texts, up to 8,192 tokens; a sequence twice as long needs about four times the attention memory',
  },
  {
    id: 'microsoft/deberta-v3-small',
    family: 'deberta-v2',
    parametersMillions: 141,
    languages: 'English',
    licence: 'MIT',
    note: 'DeBERTa-v3 at 6 layers: strong accuracy for its speed (44M in its blocks, 98M in its 128k-word vocabulary)',
  },
  {
    id: 'microsoft/deberta-v3-base',
    family: 'deberta-v2',
    parametersMillions: 184,
    languages: 'English',
    licence: 'MIT',
    note: 'the most accurate English classifier here, and the slowest to train',
  },
  {
    id: 'distilbert/distilbert-base-multilingual-cased',
    family: 'distilbert',
    parametersMillions: 134,
    languages: '104 languages',
    licence: 'Apache-2.0',
    note: 'the fastest multilingual model here',
  },
  {
    id: 'FacebookAI/xlm-roberta-base',
    family: 'xlm-roberta',
    parametersMillions: 278,
    languages: '100 languages',
    licence: 'MIT',
    note: 'accurate multilingual model; large vocabulary',
  },
  {
    id: 'microsoft/mdeberta-v3-base',
    family: 'deberta-v2',
    parametersMillions: 278,
    languages: '100 languages',
    licence: 'MIT',
    note: 'multilingual DeBERTa-v3, often the most accurate multilingual model here; large vocabulary',
  },
];

/** The catalog entry of a Hub id (case as typed), if it is one. */
export function catalogModel(id: string): CatalogModel | undefined {
  const wanted = id.trim().toLowerCase();
  return MODEL_CATALOG.find((model) => model.id.toLowerCase() === wanted);
}
