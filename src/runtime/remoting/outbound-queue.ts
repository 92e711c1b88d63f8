/**
 * One peer's bounded outbound queue. Envelopes are encoded as they arrive (batch-writer.ts) into
 * an open batch; a batch is sealed when it reaches `batchEnvelopes` or `batchBytes`, or when the
 * stream is ready for it. The bound counts envelopes and encoded bytes, sealed or not: past it,
 * `push` refuses and the caller counts a dead letter.
 *
 * A second, small lane holds priority envelopes (the cluster's heartbeats, docs/050-remoting.md
 * "Priority lane"): bounded on its own, so a bulk queue at its bound never refuses them, and
 * taken before the next bulk batch, so they wait behind at most the batch gRPC already holds.
 */
import { BATCH_HEADER_BYTES, BatchWriter } from './batch-writer.js';
import { envelopeCost, type RemotingLimits } from './options.js';
import type { Envelope } from './types.js';

interface Sealed {
  frame: Buffer;
  count: number;
  bytes: number;
}

export class OutboundQueue {
  /** envelopes queued, sealed or not */
  envelopes = 0;
  /** encoded bytes queued */
  bytes = 0;
  private sealed: Sealed[] = [];
  private head = 0;
  private open: BatchWriter | undefined;
  private capacityHint = 0;
  /** priority envelopes, oldest first, not yet encoded (they leave at the next write) */
  private priority: Envelope[] = [];
  private priorityBytes = 0;

  constructor(private readonly limits: RemotingLimits) {}

  /** Encodes `e` into the open batch; false, and nothing queued, when the bound is reached. */
  push(e: Envelope): boolean {
    const { maxQueueEnvelopes, maxQueueBytes, batchEnvelopes, batchBytes } = this.limits;
    if (this.envelopes >= maxQueueEnvelopes || this.bytes + envelopeCost(e) > maxQueueBytes) return false;
    const open = (this.open ??= new BatchWriter(this.capacityHint));
    this.bytes += open.add(e);
    this.envelopes++;
    if (open.count >= batchEnvelopes || open.size >= batchBytes) this.seal();
    return true;
  }

  /**
   * Queues `e` in the priority lane; false, and nothing queued, when that lane is at its own
   * bound (`maxPriorityEnvelopes`, `maxPriorityBytes`). How full the bulk queue is does not matter.
   */
  pushPriority(e: Envelope): boolean {
    const cost = envelopeCost(e);
    if (this.priority.length >= this.limits.maxPriorityEnvelopes || this.priorityBytes + cost > this.limits.maxPriorityBytes) return false;
    this.priority.push(e);
    this.priorityBytes += cost;
    return true;
  }

  /** Priority envelopes waiting. */
  get priorityEnvelopes(): number {
    return this.priority.length;
  }

  /** True when a batch is ready to be written: a sealed one, or priority envelopes. */
  get hasSealed(): boolean {
    return this.priority.length > 0 || this.head < this.sealed.length;
  }

  get isEmpty(): boolean {
    return this.envelopes === 0 && this.priority.length === 0;
  }

  /** Seals the open batch, if it holds anything. */
  seal(): void {
    const open = this.open;
    if (!open || open.count === 0) return;
    this.open = undefined;
    // the next batch starts about this size, so a busy stream does not regrow every buffer
    this.capacityHint = Math.min(open.size + (open.size >>> 3), this.limits.batchBytes * 2);
    this.sealed.push({ frame: open.finish(), count: open.count, bytes: open.size - BATCH_HEADER_BYTES });
  }

  /** Takes the priority envelopes as one batch if there are any, else the oldest sealed batch. */
  take(): { frame: Buffer; count: number } | undefined {
    if (this.priority.length > 0) return this.takePriority();
    if (this.head >= this.sealed.length) return undefined;
    const next = this.sealed[this.head]!;
    this.sealed[this.head++] = undefined as unknown as Sealed;
    if (this.head === this.sealed.length) {
      this.sealed = [];
      this.head = 0;
    }
    this.envelopes -= next.count;
    this.bytes -= next.bytes;
    return next;
  }

  private takePriority(): { frame: Buffer; count: number } {
    const batch = new BatchWriter();
    for (const e of this.priority) batch.add(e);
    this.priority = [];
    this.priorityBytes = 0;
    return { frame: batch.finish(), count: batch.count };
  }

  /** Empties the queue, both lanes; returns how many envelopes were in it. */
  clear(): number {
    const dropped = this.envelopes + this.priority.length;
    this.priority = [];
    this.priorityBytes = 0;
    this.sealed = [];
    this.head = 0;
    this.open = undefined;
    this.envelopes = 0;
    this.bytes = 0;
    return dropped;
  }
}
