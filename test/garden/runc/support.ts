/**
 * What the runc backend tests share: whether runc can run here (and why not), a busybox rootfs
 * built by scripts/build-busybox-rootfs.sh into a temp dir, and the sweep of the tests' cgroup
 * scope.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../../src/garden/runc/runc-cli.js';
import { tempDir } from '../../support/temp-dir.js';

export const BUILD_ROOTFS = fileURLToPath(new URL('../../../../scripts/build-busybox-rootfs.sh', import.meta.url));
const CGROUP_ROOT = '/sys/fs/cgroup';

/** Why runc containers cannot run on this machine, or undefined when they can. */
export function whyNoRunc(): string | undefined {
  let which = '';
  try {
    which = execFileSync('which', ['runc'], { encoding: 'utf8' }).trim();
  } catch {
    // not found
  }
  if (!which || !findOnPath('runc')) return 'runc not found on PATH (apt-get install runc)';
  if (process.getuid?.() !== 0) return `runc containers need root; the tests run as uid ${process.getuid?.()}`;
  if (!existsSync('/bin/busybox')) return '/bin/busybox not found (apt-get install busybox-static)';
  return undefined;
}

/**
 * In a `before` hook: skips the suite, saying why on the console, where runc cannot run. A
 * suite skipped this way shows as pending, never as passed.
 */
export function requireRunc(ctx: Mocha.Context): void {
  const why = whyNoRunc();
  if (!why) return;
  console.log(`      skipping the runc backend tests: ${why}`);
  // skipped only where runc cannot run (not root, or no runc/busybox); CI installs both and runs them
  ctx.skip();
}

/** A busybox root filesystem in a fresh temp dir, built by the repository's script. */
export function buildRootfs(): { path: string; remove: () => void } {
  const dir = tempDir('auctor-rootfs-');
  execFileSync('/bin/sh', [BUILD_ROOTFS, dir.path], { stdio: ['ignore', 'pipe', 'pipe'] });
  return dir;
}

/** A cgroup scope of its own for a test file: `auctor-test/runc-<pid>-<name>`. */
export function testScope(name: string): string {
  return `auctor-test/runc-${process.pid}-${name}`;
}

/** The scope's directories in every hierarchy, deepest first. */
function scopeDirs(scope: string): string[] {
  const parts = scope.split('/');
  const dirs: string[] = [];
  const roots = existsSync(join(CGROUP_ROOT, 'cgroup.controllers')) ? [CGROUP_ROOT] : readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h));
  for (const root of roots) {
    for (let n = parts.length; n > 0; n--) dirs.push(join(root, ...parts.slice(0, n)));
  }
  return dirs.filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
}

/** Cgroups of containers left under the scope (there should be none). */
export function containerCgroupsLeft(scope: string): string[] {
  const mine = new Set(scopeDirs(scope).filter((d) => d.endsWith(scope)));
  return [...mine].flatMap((d) => readdirSync(d).filter((e) => statSync(join(d, e)).isDirectory()).map((e) => join(d, e)));
}

/**
 * Removes the scope's own directory, and its parents where now empty (another suite's may not
 * be); returns the scope directories still there.
 */
export function removeScope(scope: string): string[] {
  for (const dir of scopeDirs(scope)) {
    try {
      rmdirSync(dir);
    } catch {
      // in use by another test run's scope: leave it
    }
  }
  return scopeDirs(scope).filter((d) => d.endsWith(scope));
}
