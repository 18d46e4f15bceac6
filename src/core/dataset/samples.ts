// The bundled sample datasets (files in public/samples, credits in public/samples/ATTRIBUTION.md).
// Plain metadata: the page fetches `path` relative to its base URL and streams it into the data
// worker like any dropped file.

export interface SampleDataset {
  id: string;
  title: string;
  description: string;
  /** Path relative to the app's base URL. */
  path: string;
  fileName: string;
  bytes: number;
  rows: number;
  task: 'single-label' | 'multi-label';
  textColumn: string;
  labelColumn: string;
  /** Classes (single-label) or labels (multi-label). */
  classes: number;
  license: string;
  authors: string;
  citation: string;
  sourceUrl: string;
}

export const SAMPLE_DATASETS: readonly SampleDataset[] = [
  {
    id: 'yelp',
    title: 'Yelp review sentences',
    description: 'Sentiment, 2 classes, 1,000 rows',
    path: 'samples/yelp.csv',
    fileName: 'yelp.csv',
    bytes: 68_950,
    rows: 1_000,
    task: 'single-label',
    textColumn: 'text',
    labelColumn: 'label',
    classes: 2,
    license: 'CC BY 4.0',
    authors: 'Dimitrios Kotzias, Misha Denil, Nando de Freitas, Padhraic Smyth',
    citation: 'Kotzias et al., From Group to Individual Labels using Deep Features, KDD 2015',
    sourceUrl: 'https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences',
  },
  {
    id: 'banking77',
    title: 'Banking77 intents',
    description: 'Intent detection, 77 classes, 10,003 rows',
    path: 'samples/banking77_train.csv',
    fileName: 'banking77_train.csv',
    bytes: 829_066,
    rows: 10_003,
    task: 'single-label',
    textColumn: 'text',
    labelColumn: 'label',
    classes: 77,
    license: 'CC BY 4.0',
    authors: 'Iñigo Casanueva, Tadas Temčinas, Daniela Gerz, Matthew Henderson, Ivan Vulić (PolyAI)',
    citation:
      'Casanueva et al., Efficient Intent Detection with Dual Sentence Encoders, NLP4ConvAI @ ACL 2020',
    sourceUrl: 'https://github.com/PolyAI-LDN/task-specific-datasets',
  },
  {
    id: 'nlu-banking',
    title: 'NLU++ banking',
    description: 'Multi-label intents, 48 labels, 2,071 rows',
    path: 'samples/nlu_plus_plus_banking.csv',
    fileName: 'nlu_plus_plus_banking.csv',
    bytes: 157_096,
    rows: 2_071,
    task: 'multi-label',
    textColumn: 'text',
    labelColumn: 'labels',
    classes: 48,
    license: 'CC BY 4.0',
    authors: 'Iñigo Casanueva, Ivan Vulić, Georgios Spithourakis, Paweł Budzianowski (PolyAI)',
    citation:
      'Casanueva et al., NLU++: A Multi-Label, Slot-Rich, Generalisable Dataset for NLU in Task-Oriented Dialogue, Findings of NAACL 2022',
    sourceUrl: 'https://github.com/PolyAI-LDN/task-specific-datasets',
  },
];
