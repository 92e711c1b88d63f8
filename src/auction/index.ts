/** The pure auction: `schedule` places a batch on cell states; the rest explains and scores. */
export { schedule, orderBatch, type OrderedBatch } from './schedule.js';
export {
  matchRootfs,
  matchPlacementTags,
  placementTagMismatchError,
  insufficientResourcesError,
  describeShortfall,
} from './filter.js';
export { resourceScore, lrpScore, taskScore, type CellLoad, type ScoreWeights } from './score.js';
export * from './types.js';
