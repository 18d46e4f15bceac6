// The data map: a seeded 2-D layout of the rows' features (PCA, then UMAP) and how well it keeps
// their neighbourhoods.
export * from './pca.ts';
export * from './layout.ts';
export * from './trustworthiness.ts';
export * from './features.ts';
