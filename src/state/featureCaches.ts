// The frozen-feature caches the train worker keeps in OPFS, for Settings: listed with their sizes,
// deleted one by one or all at once, and the budget they share.
import type { FeatureStoreAction, FeatureStoreListing } from '../workers/protocol.ts';
import { trainWorker } from './workers.ts';
import { newRequestId } from './workerClient.ts';

export type { FeatureStoreAction, FeatureStoreListing };

export async function featureCaches(
  action: FeatureStoreAction = { kind: 'list' },
): Promise<FeatureStoreListing> {
  const { listing } = await trainWorker().request(
    { type: 'featureStore', requestId: newRequestId('feature-store'), action },
    ['featureStore'],
  );
  return listing;
}
