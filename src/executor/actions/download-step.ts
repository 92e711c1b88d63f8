/**
 * The download step (executor:depot/steps/download_step.go): fetches `from` (http, https or
 * file URL), checks the checksum over the bytes fetched, then puts them into the container at
 * `to`: a tar or gzipped tar (told by its bytes) is extracted into `to`, anything else is
 * written as the file `to` (or into `to` under the URL's file name when `to` is a directory).
 *
 * With `artifact` set it logs `Downloading <artifact>...` and `Downloaded <artifact> (<size>)`.
 * A failure logs `Downloading <artifact> failed` (or `Copying <artifact> into the container
 * failed: ...`) on stderr, and the step's error says why:
 * `Downloading droplet failed: checksum mismatch: sha256 expected ab12..., got 9f3c...`.
 *
 * Nothing is written into the container before the checksum has passed: the payload goes to a
 * temporary file outside it first. `cache_key` is accepted and ignored (no download cache yet);
 * `user` too (the process backend runs as the node's user). Zip payloads are not extracted.
 */
import { createHash, getHashes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import type { DownloadAction } from '../../models/actions.js';
import { extractTar, payloadKind } from './archive.js';
import { byteSize } from './byte-size.js';
import { CANCELLED, OK, Texts, fail, messageOf, type Scope, type StepResult } from './step.js';

const ALGORITHMS = ['md5', 'sha1', 'sha256'];

export async function downloadStep(model: DownloadAction, scope: Scope, signal: AbortSignal): Promise<StepResult> {
  if (signal.aborted) return CANCELLED;
  const { artifact } = model;
  if (artifact) scope.emit(Texts.downloading(artifact));
  const temp = await mkdtemp(join(tmpdir(), 'auctor-download-'));
  try {
    const payload = join(temp, 'payload');
    let size: number;
    try {
      const check = checksumOf(model);
      const fetched = await fetchTo(model.from, payload, check?.algorithm, signal);
      size = fetched.size;
      if (check && fetched.digest !== check.expected) throw new Error(Texts.checksumMismatch(check.algorithm, check.expected, fetched.digest!));
    } catch (error) {
      if (signal.aborted) return CANCELLED;
      return failed(scope, Texts.downloadFailed(artifact), error);
    }
    try {
      await place(payload, scope.container.hostPath(model.to), model.from, signal);
    } catch (error) {
      if (signal.aborted) return CANCELLED;
      return failed(scope, Texts.copyFailed(artifact), error);
    }
    if (signal.aborted) return CANCELLED;
    if (artifact) scope.emit(Texts.downloaded(artifact, byteSize(size)));
    return OK;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function failed(scope: Scope, headline: string, error: unknown): StepResult {
  const reason = messageOf(error);
  scope.logger?.error({ error: reason }, 'download-step.failed');
  scope.emit(headline, 'stderr');
  return fail(`${headline}: ${reason}`);
}

function checksumOf(model: DownloadAction): { algorithm: string; expected: string } | undefined {
  const algorithm = model.checksum_algorithm?.toLowerCase();
  const expected = model.checksum_value?.toLowerCase();
  if (!algorithm && !expected) return undefined;
  if (!algorithm) throw new Error('checksum_value given without checksum_algorithm');
  if (!ALGORITHMS.includes(algorithm) || !getHashes().includes(algorithm)) throw new Error(`unsupported checksum algorithm: ${algorithm}`);
  if (!expected) throw new Error('checksum_algorithm given without checksum_value');
  return { algorithm, expected };
}

/** Streams the URL's bytes into `file`, counting and hashing them on the way. */
async function fetchTo(from: string, file: string, algorithm: string | undefined, signal: AbortSignal): Promise<{ size: number; digest?: string }> {
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    throw new Error(`invalid URL: ${from}`);
  }
  let source: Readable;
  if (url.protocol === 'file:') {
    source = createReadStream(fileURLToPath(url));
  } else if (url.protocol === 'http:' || url.protocol === 'https:') {
    const response = await fetch(url, { signal, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`HTTP status ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    source = response.body ? Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
  } else {
    throw new Error(`unsupported URL scheme: ${url.protocol.replace(/:$/, '')}`);
  }
  const hash = algorithm ? createHash(algorithm) : undefined;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(source, meter, createWriteStream(file), { signal });
  return hash ? { size, digest: hash.digest('hex') } : { size };
}

/** Extracts an archive into `dest`, or writes the file at `dest` (into it, if a directory). */
async function place(payload: string, dest: string, from: string, signal: AbortSignal): Promise<void> {
  const kind = await payloadKind(payload);
  if (kind !== 'file') {
    await extractTar(payload, dest, signal);
    return;
  }
  const existing = await stat(dest).catch(() => undefined);
  const target = existing?.isDirectory() ? join(dest, fileNameOf(from)) : dest;
  await mkdir(dirname(target), { recursive: true });
  await copyFile(payload, target);
}

function fileNameOf(from: string): string {
  try {
    return basename(decodeURIComponent(new URL(from).pathname)) || 'download';
  } catch {
    return 'download';
  }
}
