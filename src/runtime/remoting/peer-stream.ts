/**
 * One outbound peer: its gRPC channel, the stream it dials, the dialler's half of the handshake,
 * a bounded queue and the batcher that drains it.
 *
 *   connecting --challenge proved--> open --stream ends/fails--> backoff --timer--> connecting
 *   connecting --bad proof/timeout/fails--> backoff
 *   any --close()--> closed;  backoff --unused for idlePeerMs, queue empty--> closed (forgotten)
 *
 * Envelopes queue (encoded, outbound-queue.ts) in every state but closed; they are written only
 * while open. A batch goes out when it reaches `batchEnvelopes` or `batchBytes`, else on the next
 * turn of the event loop, and never while gRPC asks us to wait for 'drain'.
 */
import { Client, credentials, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { backoffMs } from '../../base/backoff.js';
import { decodeFrame, encodeHandshake } from './codec.js';
import { newNonce, proofFor, protocolMismatch, verifyProof } from './handshake.js';
import { OutboundQueue } from './outbound-queue.js';
import { channelOptions, CONNECT_PATH, passThrough, type Counters, type RemotingLimits, type RemotingLog } from './options.js';
import type { Envelope, NodeIdentity } from './types.js';

type State = 'connecting' | 'open' | 'backoff' | 'closed';

export interface PeerStreamDeps {
  self: NodeIdentity;
  secret: string;
  limits: RemotingLimits;
  log: RemotingLog;
  counters: Counters;
  /** the handshake proved the listener at the other end */
  onUp(peer: NodeIdentity): void;
  /** the stream to `peer`, which was up, ended */
  onDown(peer: NodeIdentity, reason: string): void;
  /** the peer was idle and unreachable long enough to be forgotten, or closed */
  onForget(): void;
}

export class PeerStream {
  private state: State = 'connecting';
  private readonly client: Client;
  private call: ClientDuplexStream<Buffer, Buffer> | undefined;
  private peer: NodeIdentity | undefined;
  private readonly queue: OutboundQueue;
  private flushScheduled = false;
  private waitingDrain = false;
  private attempt = 0;
  /** sent to since the last reconnect attempt (cheaper than a clock read per envelope) */
  private used = true;
  private lastUsed = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;

  constructor(
    readonly address: string,
    private readonly deps: PeerStreamDeps,
  ) {
    this.queue = new OutboundQueue(deps.limits);
    this.client = new Client(address, credentials.createInsecure(), channelOptions(deps.limits));
    this.connect();
  }

  /**
   * Queues `e` (in the priority lane when `priority`, written at once if the stream can take it);
   * false (and a counted drop) when closed or its lane is at its bound.
   */
  enqueue(e: Envelope, priority = false): boolean {
    if (this.state === 'closed' || !(priority ? this.queue.pushPriority(e) : this.queue.push(e))) {
      this.deps.counters.dropped++;
      return false;
    }
    this.used = true;
    if (this.state !== 'open' || this.waitingDrain) return true;
    // a priority envelope waits for the end of the turn too, so those of one turn share a frame
    if (!priority && this.queue.hasSealed) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** Writes batches until the queue is empty or gRPC asks to wait for 'drain'. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const call = this.call;
    if (this.state !== 'open' || !call) return;
    const { counters } = this.deps;
    while (!this.waitingDrain) {
      if (!this.queue.hasSealed) this.queue.seal();
      const next = this.queue.take();
      if (!next) break;
      counters.sent += next.count;
      if (!call.write(next.frame)) {
        this.waitingDrain = true;
        call.once('drain', () => {
          if (this.call !== call) return;
          this.waitingDrain = false;
          this.flush();
        });
      }
    }
    if (this.queue.isEmpty) this.idle?.();
  };

  private connect(): void {
    this.state = 'connecting';
    this.waitingDrain = false;
    const { self, secret, limits, log } = this.deps;
    const nonce = newNonce();
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(CONNECT_PATH, passThrough, passThrough, new Metadata());
    this.call = call;
    this.timer = setTimeout(() => this.fail(call, 'handshake timed out'), limits.handshakeTimeoutMs).unref();
    call.on('data', (buf: Buffer) => {
      if (this.call !== call || this.state !== 'connecting') return; // a listener says nothing more
      let challenge;
      try {
        challenge = decodeFrame(buf);
      } catch (error) {
        challenge = undefined;
        log.warn({ peer: this.address, err: String(error) }, 'remoting.handshake-malformed');
      }
      if (challenge?.kind !== 'challenge') return this.fail(call, 'listener did not answer with a challenge', true);
      const mismatch = protocolMismatch(challenge.protocol ?? 0);
      if (mismatch) {
        log.warn({ peer: this.address, claimed: challenge.node, protocol: challenge.protocol ?? 0 }, 'remoting.protocol-mismatch');
        return this.fail(call, mismatch, true);
      }
      const transcript = { dialler: self, diallerNonce: nonce, listener: challenge.node, listenerNonce: challenge.nonce };
      const proof = encodeHandshake({ kind: 'proof', proof: proofFor('dialler', secret, transcript) });
      if (!verifyProof('listener', secret, transcript, challenge.proof)) {
        log.warn({ peer: this.address, claimed: challenge.node }, 'remoting.handshake-refused');
        // Our proof anyway, so the listener can log which node holds another secret: it is bound
        // to this stream's nonces and worthless anywhere else. The listener then refuses us.
        call.write(proof);
        call.end();
        setTimeout(() => call.cancel(), limits.handshakeTimeoutMs).unref();
        return this.fail(call, 'listener failed to prove the cluster secret');
      }
      call.write(proof);
      clearTimeout(this.timer);
      this.state = 'open';
      this.attempt = 0;
      this.peer = challenge.node;
      log.info({ peer: challenge.node }, 'remoting.peer-connected');
      this.deps.onUp(challenge.node);
      this.flush();
    });
    call.on('error', (error: Error & { details?: string }) => this.fail(call, `stream failed: ${error.details ?? error.message}`));
    call.on('status', (status: { details: string }) => this.fail(call, `stream ended: ${status.details}`));
    call.on('end', () => this.fail(call, 'stream ended'));
    call.write(encodeHandshake({ kind: 'hello', node: self, nonce }));
  }

  /** Ends `call` (once), reports the peer down if it was up, and schedules the next attempt. */
  private fail(call: ClientDuplexStream<Buffer, Buffer>, reason: string, cancel = false): void {
    if (this.call !== call) return;
    this.call = undefined;
    clearTimeout(this.timer);
    if (cancel) call.cancel();
    const wasOpen = this.state === 'open';
    if (this.state !== 'closed') this.state = 'backoff';
    if (wasOpen && this.peer) {
      this.deps.log.info({ peer: this.peer, reason }, 'remoting.peer-disconnected');
      this.deps.onDown(this.peer, reason);
    } else if (!wasOpen) this.deps.log.debug({ peer: this.address, reason }, 'remoting.connect-failed');
    this.idle?.();
    if (this.state === 'closed') return;
    if (this.used) {
      this.used = false;
      this.lastUsed = Date.now();
    }
    if (this.queue.isEmpty && Date.now() - this.lastUsed > this.deps.limits.idlePeerMs) {
      this.deps.log.info({ peer: this.address }, 'remoting.peer-forgotten');
      void this.close(0);
      return;
    }
    const { backoffInitialMs, backoffMaxMs } = this.deps.limits;
    const delay = backoffMs(this.attempt++, { initialMs: backoffInitialMs, maxMs: backoffMaxMs, jitter: 0.2 });
    this.timer = setTimeout(() => this.state === 'backoff' && this.connect(), delay).unref();
  }

  /** Flushes for at most `timeoutMs`, ends the stream, closes the channel; what is left is dropped. */
  async close(timeoutMs: number): Promise<void> {
    if (this.state === 'closed') return;
    const live = () => this.state === 'open' || this.state === 'connecting';
    if (live() && !this.queue.isEmpty && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs).unref();
        this.idle = () => {
          if (this.queue.isEmpty || !live()) {
            clearTimeout(timer);
            resolve();
          }
        };
        this.flush();
      });
      this.idle = undefined;
    }
    const call = this.call;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.call = undefined;
    clearTimeout(this.timer);
    this.deps.counters.dropped += this.queue.clear();
    if (call && wasOpen) {
      if (this.peer) this.deps.onDown(this.peer, 'closed');
      // half-close and wait for the listener's status, so frames still in gRPC's buffers arrive
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (call.cancel(), resolve()), Math.max(timeoutMs, 100)).unref();
        call.once('status', () => (clearTimeout(timer), resolve()));
        call.end();
      });
    } else call?.cancel();
    this.client.close();
    this.deps.onForget();
  }
}
