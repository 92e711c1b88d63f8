/**
 * Paths inside a runc container and where they live on the host. The rootfs is shared and
 * read-only; only /home/vcap and /tmp are the container's own, bind mounts of `home/` and
 * `tmp/` in its bundle. A path is checked after symlinks, because root in the container can
 * make a link in its home that would lead a host-side write (a download step's) out of it.
 * (The check and the write are not atomic: a container racing to swap a directory for a link
 * between them wins. Garden-runc streams files in through the container's own mount namespace
 * instead; do that should untrusted code share a cell with valuable hosts.)
 */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { AuctorError } from '../../base/errors.js';
import { HOME, TMP } from './oci-config.js';

/** An absolute, normalised path inside the container; relative ones are under the home. */
export function insidePath(path: string): string {
  return posix.normalize(posix.isAbsolute(path) ? path : posix.join(HOME, path));
}

/** Whether an (absolute, normalised) path inside is in the container's writable directories. */
export function writable(inside: string): boolean {
  return baseOf(inside) !== undefined;
}

/** The host path of `containerPath` in the container whose bundle is `bundleDir`. */
export function hostPathIn(bundleDir: string, containerPath: string): string {
  const inside = insidePath(containerPath);
  const base = baseOf(inside);
  if (!base) throw new AuctorError('InvalidRequest', `invalid path: ${containerPath}: only ${HOME} and ${TMP} are writable in a runc container`);
  const root = join(bundleDir, base === HOME ? 'home' : 'tmp');
  const host = join(root, inside.slice(base.length));
  const realRoot = realpathSync(root);
  const real = realpathOfExisting(host);
  if (real === undefined || (real !== realRoot && !real.startsWith(realRoot + sep))) {
    throw new AuctorError('InvalidRequest', `invalid path: ${containerPath}: a symlink leads out of ${base}`);
  }
  return host;
}

function baseOf(inside: string): string | undefined {
  return [HOME, TMP].find((base) => inside === base || inside.startsWith(`${base}/`));
}

/**
 * realpath of the longest existing prefix of `path`, with the rest appended; undefined when a
 * prefix exists but does not resolve (a dangling symlink: a write would create its target).
 */
function realpathOfExisting(path: string): string | undefined {
  let rest = '';
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(realpathSync(at), rest);
    } catch {
      if (exists(at)) return undefined;
      if (dirname(at) === at) return path;
      rest = join(at.slice(dirname(at).length + 1), rest);
    }
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
