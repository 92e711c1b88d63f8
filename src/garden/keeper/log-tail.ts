/**
 * Follows a log file a kept process appends to and hands out whole lines. The process writes
 * to the file, not to a pipe, so it keeps running (and its output keeps being captured) when
 * the cell that started it dies and a new one adopts it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are handed out in pieces. */
const MAX_LINE = 64 * 1024;
const POLL_MS = 250;

export class LogTail {
  private offset: number;
  private partial = '';
  // keeps a multi-byte character split across two reads whole
  private readonly decoder = new StringDecoder('utf8');
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private file: FileHandle | undefined;
  private closed = false;

  /** Starts following `path` from byte `offset` (the end of what a previous owner read). */
  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    offset = 0,
  ) {
    this.offset = offset;
    try {
      this.watcher = watch(path, () => this.kick());
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      // no inotify for this file: the poll below still finds new lines
    }
    this.poll = setInterval(() => this.kick(), POLL_MS);
    this.poll.unref();
    this.kick();
  }

  /** How far into the file lines have been handed out. */
  get position(): number {
    return this.offset;
  }

  /**
   * Reads what is left and stops following. `final`: the writer has ended, so a last
   * unterminated line is handed out too; otherwise it stays unread for whoever follows next.
   */
  async close(final = true): Promise<void> {
    if (this.closed) return;
    this.kick();
    await this.reading;
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.poll);
    if (final && this.partial) this.onLine(this.partial);
    else this.offset -= Buffer.byteLength(this.partial);
    this.partial = '';
    await this.file?.close().catch(() => {});
  }

  private kick(): void {
    if (this.closed) return;
    this.reading = this.reading.then(() => this.readMore()).catch(() => {});
  }

  private async readMore(): Promise<void> {
    if (this.closed) return;
    this.file ??= await open(this.path, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.split(this.decoder.write(buffer.subarray(0, bytesRead)));
    }
  }

  private split(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    while (this.partial.length > MAX_LINE) {
      this.onLine(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }
}
