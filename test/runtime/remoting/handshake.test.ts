import { expect } from 'chai';
import { isLoopbackHost, newNonce, proofFor, verifyProof, type Transcript } from '../../../src/runtime/remoting/handshake.js';

describe('remoting handshake proofs', () => {
  const transcript: Transcript = {
    dialler: { name: 'cell-1', incarnation: 1, address: '127.0.0.1:7001' },
    diallerNonce: newNonce(),
    listener: { name: 'control', incarnation: 2, address: '127.0.0.1:7000' },
    listenerNonce: newNonce(),
  };

  it('accepts the proof of a holder of the same secret, in its own role only', () => {
    expect(verifyProof('listener', 's3cret', transcript, proofFor('listener', 's3cret', transcript))).to.equal(true);
    expect(verifyProof('dialler', 's3cret', transcript, proofFor('listener', 's3cret', transcript))).to.equal(false);
  });

  it('rejects another secret, and an empty secret against a set one', () => {
    expect(verifyProof('dialler', 's3cret', transcript, proofFor('dialler', 'other', transcript))).to.equal(false);
    expect(verifyProof('dialler', 's3cret', transcript, proofFor('dialler', '', transcript))).to.equal(false);
    expect(verifyProof('dialler', '', transcript, proofFor('dialler', '', transcript))).to.equal(true);
  });

  it('binds a proof to both nonces and both identities', () => {
    const proof = proofFor('dialler', 's3cret', transcript);
    const changed: Transcript[] = [
      { ...transcript, diallerNonce: newNonce() },
      { ...transcript, listenerNonce: newNonce() },
      { ...transcript, dialler: { ...transcript.dialler, incarnation: 3 } },
      { ...transcript, dialler: { ...transcript.dialler, name: 'cell-2' } },
      { ...transcript, listener: { ...transcript.listener, address: '127.0.0.1:7002' } },
    ];
    for (const t of changed) expect(verifyProof('dialler', 's3cret', t, proof)).to.equal(false);
  });

  it('rejects a proof of the wrong length without throwing', () => {
    expect(verifyProof('dialler', 's3cret', transcript, Buffer.alloc(3))).to.equal(false);
  });

  it('knows loopback hosts, where no secret is needed', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).to.equal(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).to.equal(false);
  });
});
