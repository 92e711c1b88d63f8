/**
 * Limits, timings and gRPC options of the remoting layer, with their defaults. The benchmark's
 * raw grpc-js baseline uses the same channel and server options, so the ratio compares layers,
 * not tunings.
 */
import type { ChannelOptions } from '@grpc/grpc-js';
import type { Envelope } from './types.js';

export interface RemotingLimits {
  /** envelopes queued for one peer before `sendTo` drops (default 10 000) */
  maxQueueEnvelopes: number;
  /** bytes queued for one peer before `sendTo` drops (default 16 MiB) */
  maxQueueBytes: number;
  /**
   * the priority lane (envelopes sent with `{ priority: true }`, the cluster's own): queued for one
   * peer apart from the bulk queue and its bound, written before the next bulk batch (defaults 1 000, 1 MiB)
   */
  maxPriorityEnvelopes: number;
  maxPriorityBytes: number;
  /** a batch is flushed at this many envelopes... (default 512) */
  batchEnvelopes: number;
  /** ...or this many bytes, or on the next turn of the event loop, whichever comes first (default 256 KiB) */
  batchBytes: number;
  /**
   * bytes of received frames a stream holds before handling them; past this it pauses the gRPC
   * stream (HTTP/2 flow control then holds the sender back) until they are handled (default 4 MiB)
   */
  maxPendingInboundBytes: number;
  /** an envelope whose body is larger is dropped by the sender and counted malformed by a receiver (default 4 MiB) */
  maxEnvelopeBytes: number;
  /** a stream whose handshake has not finished by then is closed (default 5 s) */
  handshakeTimeoutMs: number;
  /** streams refused before they authenticated are logged at most once per peer host and reason in this long (default 10 s); all are counted */
  rejectionLogWindowMs: number;
  /** reconnect backoff: first delay, doubling up to the cap, each with ±20 % jitter (defaults 100 ms, 2 s) */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** a peer that cannot be reached and was not sent to for this long is forgotten (default 60 s) */
  idlePeerMs: number;
  /** how long `close()` waits for queues to flush and the server to drain (default 2 s) */
  closeTimeoutMs: number;
  /** HTTP/2 keepalive: ping after this much silence, give up when no answer within the timeout */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: RemotingLimits = {
  maxQueueEnvelopes: 10_000,
  maxQueueBytes: 16 * 1024 * 1024,
  maxPriorityEnvelopes: 1_000,
  maxPriorityBytes: 1024 * 1024,
  batchEnvelopes: 512,
  batchBytes: 256 * 1024,
  maxPendingInboundBytes: 4 * 1024 * 1024,
  maxEnvelopeBytes: 4 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  rejectionLogWindowMs: 10_000,
  backoffInitialMs: 100,
  backoffMaxMs: 2_000,
  idlePeerMs: 60_000,
  closeTimeoutMs: 2_000,
  // A blocked event loop delays the ping's answer as much as its timer: the timeout is generous
  // so a node that is only busy is not cut off (the failure detector judges liveness, not this).
  keepaliveTimeMs: 10_000,
  keepaliveTimeoutMs: 20_000,
};

/** The largest frame a receiver accepts: a full batch plus one envelope at the limit. */
export function maxFrameBytes(limits: RemotingLimits): number {
  return limits.batchBytes + limits.maxEnvelopeBytes + 1024 * 1024;
}

export function channelOptions(limits: RemotingLimits): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': limits.backoffInitialMs,
    'grpc.max_reconnect_backoff_ms': limits.backoffMaxMs,
    'grpc.max_send_message_length': maxFrameBytes(limits),
    'grpc.max_receive_message_length': maxFrameBytes(limits),
    // retries would buffer every frame of a long-lived stream until it commits
    'grpc.enable_retries': 0,
    // each Remoting owns its connections outright, so closing one never touches another's
    'grpc.use_local_subchannel_pool': 1,
  };
}

export function serverOptions(limits: RemotingLimits): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_receive_message_length': maxFrameBytes(limits),
    'grpc.max_send_message_length': maxFrameBytes(limits),
  };
}

/** The one RPC: every frame is passed through as bytes; src/runtime/remoting/codec.ts does the rest. */
export const CONNECT_PATH = '/auctor.remoting.Remoting/Connect';
export const passThrough = (b: Buffer): Buffer => b;
/** A bidirectional streaming gRPC method at `path` whose messages are bytes, passed through as they are. */
export const bidiBytesMethod = (path: string) => ({
  path,
  requestStream: true,
  responseStream: true,
  requestSerialize: passThrough,
  requestDeserialize: passThrough,
  responseSerialize: passThrough,
  responseDeserialize: passThrough,
});

/** Bytes an envelope holds in a queue or batch, near enough for the limits above. */
export function envelopeCost(e: Envelope): number {
  return e.body.length + e.to.length + e.type.length + (e.from?.length ?? 0) + 16;
}

/** The logging the layer needs; a pino Logger fits. */
export interface RemotingLog {
  debug(fields: object, event: string): void;
  info(fields: object, event: string): void;
  warn(fields: object, event: string): void;
  error(fields: object, event: string): void;
}

/** The counters `Remoting.stats()` reports, shared by the streams that bump them. */
export interface Counters {
  sent: number;
  received: number;
  dropped: number;
  malformed: number;
}
