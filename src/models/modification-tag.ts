/**
 * BBS's `ModificationTag {epoch, index}`: `epoch` names one incarnation of a record (a new guid
 * when it is created), `index` counts its changes. Clients compare tags to order two copies of a
 * record (the route-emitter does); `epoch` never changes over a record's life.
 */

export interface ModificationTag {
  /** a guid chosen when the record was created */
  epoch: string;
  /** 0 on create, +1 on every change */
  index: number;
}

/** A supplier of fresh guids (`crypto.randomUUID` in production, a counter in tests). */
export type GuidGenerator = () => string;

/** The tag of a new record: `epoch` is the guid given, or one from `generate`; `index` 0. */
export function newModificationTag(epoch: string | GuidGenerator): ModificationTag {
  return { epoch: typeof epoch === 'string' ? epoch : epoch(), index: 0 };
}

/** The tag after one more change: same epoch, index + 1. */
export function incrementModificationTag(tag: ModificationTag): ModificationTag {
  return { epoch: tag.epoch, index: tag.index + 1 };
}

/**
 * BBS `SucceededBy`: whether `next` is a later version than `current`. A different epoch (the
 * record was re-created) or an empty one always counts as newer.
 */
export function modificationTagSucceededBy(current: ModificationTag | undefined, next: ModificationTag): boolean {
  if (!current || current.epoch === '' || next.epoch === '') return true;
  return current.epoch !== next.epoch || current.index < next.index;
}
