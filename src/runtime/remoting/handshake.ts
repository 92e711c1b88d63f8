/**
 * The mutual HMAC challenge every stream opens with (docs/050-remoting.md, "Handshake"):
 *
 *   dialler  -> listener  Hello     { dialler identity, nonce_d }
 *   listener -> dialler   Challenge { listener identity, nonce_l, HMAC(secret, "listener" + transcript) }
 *   dialler  -> listener  Proof     { HMAC(secret, "dialler" + transcript) }
 *
 * The transcript holds both nonces and both identities, so a proof is bound to this one stream
 * and to the identities claimed in it: it cannot be replayed on another stream nor moved to
 * another identity. Each side checks the other's proof before it trusts anything the other says.
 * The secret never travels. An empty secret still runs the exchange (loopback development), so
 * identities are learned the same way everywhere.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NodeIdentity } from './types.js';

export const NONCE_BYTES = 32;
/**
 * The version of the remoting protocol this node speaks, sent in Hello and Challenge. Nodes of
 * different versions refuse each other at the handshake instead of dropping every message the
 * other sends. 2: typed bodies (docs/051-remote-refs.md). 1 (sent as nothing): before them.
 */
export const PROTOCOL_VERSION = 2;

/** Why a stream is refused when the peer speaks another version; undefined when it speaks this one. */
export function protocolMismatch(peer: number): string | undefined {
  return peer === PROTOCOL_VERSION ? undefined : `peer speaks remoting protocol ${peer || 1}, this node speaks ${PROTOCOL_VERSION}`;
}
const LABEL = 'auctor.remoting.v1';

export type Role = 'listener' | 'dialler';

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export interface Transcript {
  dialler: NodeIdentity;
  diallerNonce: Uint8Array;
  listener: NodeIdentity;
  listenerNonce: Uint8Array;
}

function transcriptText(role: Role, t: Transcript): string {
  const id = (n: NodeIdentity) => [n.name, n.incarnation, n.address];
  return JSON.stringify([
    `${LABEL} ${role}`,
    Buffer.from(t.diallerNonce).toString('base64'),
    Buffer.from(t.listenerNonce).toString('base64'),
    id(t.dialler),
    id(t.listener),
  ]);
}

/** What `role` sends to prove it holds `secret`. */
export function proofFor(role: Role, secret: string, t: Transcript): Buffer {
  return createHmac('sha256', secret).update(transcriptText(role, t)).digest();
}

/** True when `proof` is what `role` would send holding `secret` (constant time). */
export function verifyProof(role: Role, secret: string, t: Transcript, proof: Uint8Array): boolean {
  const expected = proofFor(role, secret, t);
  return proof.length === expected.length && timingSafeEqual(expected, proof);
}

/** Loopback hosts, where running without a cluster secret is allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
