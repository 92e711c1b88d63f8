/** Garden's failures, on Auctor's error hierarchy (src/base/errors.ts). */
import { AuctorError } from '../base/errors.js';

export const containerExists = (handle: string) => new AuctorError('ResourceExists', `container already exists: ${handle}`);
export const containerNotFound = (handle: string) => new AuctorError('ResourceNotFound', `container not found: ${handle}`);
export const unknownRootfs = (rootfs: string, offered: string[]) =>
  new AuctorError('InvalidRequest', `invalid field: rootfs: ${rootfs} is not offered here (offered: ${offered.join(', ') || 'none'})`);
export const backendUnavailable = (backend: string, why: string) => new AuctorError('Unavailable', `${backend} backend unavailable: ${why}`);
