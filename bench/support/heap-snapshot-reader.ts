/**
 * Reads a V8 `.heapsnapshot` of any size (a control node at 100k instances writes several GB, more
 * than one JS string can hold, so `JSON.parse` of the file is out): the meta, the nodes and edges
 * as typed arrays, the strings one by one. For bench/support/heap-breakdown.ts.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface HeapSnapshot {
  nodeFields: string[];
  nodeTypes: string[];
  edgeFields: string[];
  edgeTypes: string[];
  /** node_count × nodeFields.length */
  nodes: Float64Array;
  /** edge_count × edgeFields.length */
  edges: Uint32Array;
  strings: string[];
}

const CHUNK = 64 * 1024 * 1024;

/** Bytes of a file read forward in chunks, one byte at a time. */
class ByteStream {
  private buffer = Buffer.alloc(CHUNK);
  private length = 0;
  private at = 0;
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The next byte, or -1 at the end. */
  next(): number {
    if (this.at === this.length) {
      this.length = readSync(this.fd, this.buffer, 0, CHUNK, null);
      this.at = 0;
      if (this.length === 0) return -1;
    }
    return this.buffer[this.at++]!;
  }

  /** Skips to just after `marker` (ASCII); false at the end of the file. */
  skipPast(marker: string): boolean {
    let matched = 0;
    for (let b = this.next(); b !== -1; b = this.next()) {
      matched = b === marker.charCodeAt(matched) ? matched + 1 : b === marker.charCodeAt(0) ? 1 : 0;
      if (matched === marker.length) return true;
    }
    return false;
  }

  /** The bytes up to and including `end`'s first occurrence, as text. */
  readThrough(end: string): string {
    const out: number[] = [];
    for (let b = this.next(); b !== -1; b = this.next()) {
      out.push(b);
      if (b === end.charCodeAt(end.length - 1) && Buffer.from(out.slice(-end.length)).toString('latin1') === end) break;
    }
    return Buffer.from(out).toString('utf8');
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads the comma-separated non-negative integers of an array whose `[` was just read, into `into`; returns how many. */
function readNumbers(stream: ByteStream, into: { [i: number]: number; length: number }): number {
  let n = 0;
  let value = 0;
  let digits = false;
  for (let b = stream.next(); b !== -1; b = stream.next()) {
    if (b >= 48 && b <= 57) {
      value = value * 10 + (b - 48);
      digits = true;
    } else if (digits) {
      if (n < into.length) into[n] = value;
      n++;
      value = 0;
      digits = false;
    }
    if (b === 93) return n; // ]
  }
  return n;
}

/** Reads the JSON strings of the `strings` array whose `[` was just read. */
function readStrings(stream: ByteStream): string[] {
  const strings: string[] = [];
  let current: number[] | undefined;
  let escaped = false;
  for (let b = stream.next(); b !== -1; b = stream.next()) {
    if (current === undefined) {
      if (b === 34) current = []; // "
      else if (b === 93) break;
      continue;
    }
    if (!escaped && b === 34) {
      strings.push(JSON.parse(`"${Buffer.from(current).toString('utf8')}"`) as string);
      current = undefined;
      continue;
    }
    escaped = !escaped && b === 92; // backslash
    current.push(b);
  }
  return strings;
}

export function readHeapSnapshot(path: string): HeapSnapshot {
  const stream = new ByteStream(path);
  try {
    if (!stream.skipPast('"snapshot":')) throw new Error(`${path}: not a heap snapshot`);
    // the snapshot's header object ends where the nodes array starts
    const header = stream.readThrough('"nodes":[');
    const head = JSON.parse(`${header.slice(0, header.lastIndexOf(','))}`) as {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
      node_count: number;
      edge_count: number;
    };
    const { meta } = head;
    const nodes = new Float64Array(head.node_count * meta.node_fields.length);
    const nodeValues = readNumbers(stream, nodes);
    if (nodeValues !== nodes.length) throw new Error(`${path}: ${nodeValues} node values, expected ${nodes.length}`);
    if (!stream.skipPast('"edges":[')) throw new Error(`${path}: no edges`);
    const edges = new Uint32Array(head.edge_count * meta.edge_fields.length);
    const edgeValues = readNumbers(stream, edges);
    if (edgeValues !== edges.length) throw new Error(`${path}: ${edgeValues} edge values, expected ${edges.length}`);
    if (!stream.skipPast('"strings":[')) throw new Error(`${path}: no strings`);
    const strings = readStrings(stream);
    return {
      nodeFields: meta.node_fields, nodeTypes: meta.node_types[0], edgeFields: meta.edge_fields, edgeTypes: meta.edge_types[0], nodes, edges, strings,
    };
  } finally {
    stream.close();
  }
}
