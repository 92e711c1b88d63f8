/** Tar archives written header by header, so a test can put in them what no tar tool would. */
import { Header } from 'tar';

export interface TarEntry {
  path: string;
  type?: 'File' | 'Link' | 'SymbolicLink' | 'Directory';
  /** for links: what they point at */
  linkpath?: string;
  body?: string;
}

export function tarOf(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { path, type = 'File', linkpath, body = '' } of entries) {
    const header = Buffer.alloc(512);
    const size = type === 'File' ? Buffer.byteLength(body) : 0;
    new Header({ path, type, size, mode: type === 'Directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, ...(linkpath ? { linkpath } : {}) }).encode(header, 0);
    blocks.push(header);
    if (size > 0) {
      const data = Buffer.alloc(Math.ceil(size / 512) * 512);
      data.write(body);
      blocks.push(data);
    }
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}
