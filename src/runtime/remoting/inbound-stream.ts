/**
 * The listener's side of one stream a peer dialled: the listener's half of the handshake, then
 * batches in. Nothing is accepted before the dialler has proved the cluster secret; a stream that
 * tries is closed with UNAUTHENTICATED. After that, a frame or envelope that is out of shape is
 * dropped and counted as malformed; the stream stays, since one bad message is not a bad peer.
 * Each refused stream is counted by reason and logged through `Rejections` (at most one line per
 * peer host and reason per window): an unauthenticated flood cannot flood the log.
 *
 *   hello --Hello--> proof --valid Proof--> open --ends/fails/close()--> done
 *   hello|proof --anything else, bad proof, or timeout--> done (UNAUTHENTICATED)
 */
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { decodeFrame, encodeHandshake, MalformedFrame } from './codec.js';
import { newNonce, proofFor, protocolMismatch, verifyProof, type Transcript } from './handshake.js';
import type { Counters, RemotingLimits, RemotingLog } from './options.js';
import type { Rejections } from './rejections.js';
import type { Envelope, NodeIdentity, RejectReason } from './types.js';

type State = 'hello' | 'proof' | 'open' | 'done';

export interface InboundDeps {
  self: NodeIdentity;
  secret: string;
  limits: RemotingLimits;
  log: RemotingLog;
  counters: Counters;
  /** counts and logs (rate-limited) the streams refused before they authenticated */
  rejections: Rejections;
  deliver(envelope: Envelope, from: NodeIdentity): void;
  onUp(peer: NodeIdentity): void;
  onDown(peer: NodeIdentity, reason: string): void;
  /** the stream is finished; forget it */
  onDone(stream: InboundStream): void;
}

/** Malformed input is logged for the first few, then every thousandth, per stream. */
const LOG_FIRST_MALFORMED = 5;

export class InboundStream {
  private state: State = 'hello';
  private transcript: Transcript | undefined;
  private peer: NodeIdentity | undefined;
  private malformed = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly remote: string;
  /** frames received in the open state and not yet handled, oldest first */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private drainScheduled: NodeJS.Immediate | undefined;
  private paused = false;

  constructor(
    private readonly call: ServerDuplexStream<Buffer, Buffer>,
    private readonly deps: InboundDeps,
  ) {
    this.remote = call.getPeer();
    this.timer = setTimeout(() => this.refuse('timeout', 'handshake timed out'), deps.limits.handshakeTimeoutMs).unref();
    call.on('data', this.onFrame);
    call.on('error', (error: Error) => this.finish(`stream failed: ${error.message}`));
    call.on('cancelled', () => this.finish('stream cancelled'));
    call.on('end', () => {
      this.finish('stream ended');
      if (!call.writableEnded) call.end(); // the dialler half-closed: end our half too, with OK
    });
    call.on('close', () => this.finish('stream closed'));
  }

  private readonly onFrame = (buf: Buffer): void => {
    if (this.state === 'done') return;
    if (this.state === 'open') {
      this.pending.push(buf);
      this.pendingBytes += buf.length;
      this.drainScheduled ??= setImmediate(this.drainPending);
      if (this.pendingBytes > this.deps.limits.maxPendingInboundBytes && !this.paused) {
        this.paused = true;
        this.call.pause();
      }
      return;
    }
    this.handleFrame(buf);
  };

  /** Handles every frame received so far, in order, then lets the stream flow again. */
  private readonly drainPending = (): void => {
    if (this.drainScheduled) clearImmediate(this.drainScheduled);
    this.drainScheduled = undefined;
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    for (const buf of frames) this.handleFrame(buf);
    if (this.paused && this.state === 'open') {
      this.paused = false;
      this.call.resume();
    }
  };

  private handleFrame(buf: Buffer): void {
    let frame;
    try {
      frame = decodeFrame(buf);
    } catch (error) {
      // whatever the decoder trips on, the input is at fault: never let it reach the event loop
      return this.onMalformed(error instanceof MalformedFrame ? error.message : String(error), buf.length);
    }
    if (this.state === 'open') {
      if (frame.kind !== 'batch') return this.onMalformed(`unexpected ${frame.kind} frame`, buf.length);
      const { counters, limits, deliver } = this.deps;
      const peer = this.peer!;
      if (frame.invalid > 0) this.onMalformed('envelope without target or type', buf.length, frame.invalid);
      for (const envelope of frame.envelopes) {
        if (envelope.body.length > limits.maxEnvelopeBytes) {
          this.onMalformed('envelope over the size limit', envelope.body.length);
          continue;
        }
        counters.received++;
        deliver(envelope, peer);
      }
      return;
    }
    const { self, secret, log } = this.deps;
    if (this.state === 'hello' && frame.kind === 'hello') {
      const mismatch = protocolMismatch(frame.protocol ?? 0);
      if (mismatch) return this.refuse('protocol-mismatch', mismatch, 'remoting.protocol-mismatch', { claimed: frame.node, protocol: frame.protocol ?? 0 });
      const nonce = newNonce();
      this.transcript = { dialler: frame.node, diallerNonce: frame.nonce, listener: self, listenerNonce: nonce };
      this.state = 'proof';
      this.call.write(encodeHandshake({ kind: 'challenge', node: self, nonce, proof: proofFor('listener', secret, this.transcript) }));
      return;
    }
    if (this.state === 'proof' && frame.kind === 'proof') {
      if (!verifyProof('dialler', secret, this.transcript!, frame.proof)) {
        return this.refuse('bad-proof', 'dialler failed to prove the cluster secret', 'remoting.handshake-refused', { claimed: this.transcript!.dialler });
      }
      clearTimeout(this.timer);
      this.state = 'open';
      this.peer = this.transcript!.dialler;
      log.info({ peer: this.peer }, 'remoting.peer-accepted');
      this.deps.onUp(this.peer);
      return;
    }
    this.deps.counters.malformed++;
    this.refuse('malformed', `${frame.kind} frame before the handshake finished`);
  }

  private onMalformed(reason: string, bytes: number, count = 1): void {
    this.deps.counters.malformed += count;
    if (this.state !== 'open') return this.refuse('malformed', `malformed handshake: ${reason}`, 'remoting.stream-refused', { bytes });
    const n = ++this.malformed;
    if (n <= LOG_FIRST_MALFORMED || n % 1000 === 0) {
      this.deps.log.warn({ remote: this.remote, peer: this.peer?.name, reason, bytes, malformed: n }, 'remoting.malformed-dropped');
    }
  }

  /** Closes a stream that has not authenticated, with UNAUTHENTICATED; counts it and logs `event` (rate-limited). */
  private refuse(why: RejectReason, reason: string, event = 'remoting.stream-refused', fields: Record<string, unknown> = {}): void {
    if (this.state === 'done') return;
    this.deps.rejections.reject(this.remote, why, event, { reason, ...fields });
    this.finish(reason, true);
    this.call.emit('error', { code: status.UNAUTHENTICATED, details: reason });
  }

  /** Marks the stream finished (once) and reports its peer down if it was up. */
  private finish(reason: string, refused = false): void {
    if (this.state === 'done') return;
    const wasOpen = this.state === 'open';
    if (wasOpen) this.drainPending(); // what arrived before the end is delivered, as it would have been at once
    if (!wasOpen && !refused) this.deps.rejections.reject(this.remote, 'abandoned', 'remoting.handshake-abandoned', { reason });
    this.state = 'done';
    clearTimeout(this.timer);
    if (wasOpen && this.peer) {
      this.deps.log.info({ peer: this.peer, reason }, 'remoting.peer-left');
      this.deps.onDown(this.peer, reason);
    }
    this.deps.onDone(this);
  }

  /** Ends the stream from this side (OK status): the node is closing. */
  close(): void {
    if (this.state === 'done') return;
    this.finish('closed', this.state !== 'open');
    if (!this.call.writableEnded) this.call.end();
  }
}
