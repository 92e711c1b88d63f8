/** Helpers for the remoting tests: a logger that records, and Remotings on loopback port 0. */
import { startRemoting, type RemotingOptions } from '../../../src/runtime/remoting/grpc-remoting.js';
import type { RemotingLog } from '../../../src/runtime/remoting/options.js';
import type { Envelope, NodeIdentity, PeerEvent, Remoting } from '../../../src/runtime/remoting/types.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, unknown>;
}

export class RecordingLog implements RemotingLog {
  readonly lines: LogLine[] = [];
  debug(fields: object, event: string): void {
    this.lines.push({ level: 'debug', event, fields: fields as Record<string, unknown> });
  }
  info(fields: object, event: string): void {
    this.lines.push({ level: 'info', event, fields: fields as Record<string, unknown> });
  }
  warn(fields: object, event: string): void {
    this.lines.push({ level: 'warn', event, fields: fields as Record<string, unknown> });
  }
  error(fields: object, event: string): void {
    this.lines.push({ level: 'error', event, fields: fields as Record<string, unknown> });
  }
  events(): string[] {
    return this.lines.map((l) => l.event);
  }
}

/** A started Remoting that records what it receives, its peer events and its logs. */
export interface Node {
  remoting: Remoting;
  log: RecordingLog;
  received: { envelope: Envelope; from: NodeIdentity }[];
  peerEvents: PeerEvent[];
}

let incarnations = Date.now();

export async function startNode(name: string, overrides: Partial<RemotingOptions> = {}): Promise<Node> {
  const log = new RecordingLog();
  const remoting = await startRemoting({
    self: { name, incarnation: ++incarnations },
    listen: { host: '127.0.0.1', port: 0 },
    log,
    ...overrides,
  });
  const node: Node = { remoting, log, received: [], peerEvents: [] };
  remoting.onEnvelope((envelope, from) => node.received.push({ envelope, from }));
  remoting.onPeer((event) => node.peerEvents.push(event));
  return node;
}

export function envelope(i: number, extra: Partial<Envelope> = {}): Envelope {
  return { to: '/test/sink', type: 'test/msg', body: Buffer.from(`message ${i}`), ...extra };
}
