/** The log of refused streams: one line per peer host and reason per window, every one counted. */
import { expect } from 'chai';
import { noRejections, peerHost, Rejections } from '../../../src/runtime/remoting/rejections.js';
import { RecordingLog } from './harness.js';

function rejections(options: { windowMs?: number; maxKeys?: number } = {}) {
  let now = 0;
  const log = new RecordingLog();
  const r = new Rejections(log, { ...options, now: () => now });
  return { r, log, advance: (ms: number) => (now += ms) };
}

describe('remoting rejections', () => {
  it('finds the host of gRPC peer strings', () => {
    const table: Array<[string, string]> = [
      ['127.0.0.1:5678', '127.0.0.1'],
      ['ipv4:10.0.0.2:1', '10.0.0.2'],
      ['[::1]:5678', '::1'],
      ['ipv6:[fe80::1]:80', 'fe80::1'],
      ['unix:/tmp/sock', 'unix:/tmp/sock'],
    ];
    for (const [peer, host] of table) expect(peerHost(peer), peer).to.equal(host);
  });

  it('logs the first refusal of a host, then none for 10 s, then one carrying how many it did not log', () => {
    const { r, log, advance } = rejections();
    for (let i = 0; i < 500; i++) r.reject(`127.0.0.1:${40000 + i}`, 'bad-proof', 'remoting.handshake-refused', { reason: 'wrong proof' });
    advance(9_999);
    r.reject('127.0.0.1:1', 'bad-proof', 'remoting.handshake-refused', { reason: 'wrong proof' });
    expect(log.lines).to.have.length(1);
    expect(log.lines[0]).to.deep.include({ level: 'warn', event: 'remoting.handshake-refused' });
    expect(log.lines[0]!.fields).to.deep.equal({ remote: '127.0.0.1:40000', reason: 'wrong proof', suppressed: 0 });
    advance(1);
    r.reject('127.0.0.1:2', 'bad-proof', 'remoting.handshake-refused', { reason: 'wrong proof' });
    expect(log.lines).to.have.length(2);
    expect(log.lines[1]!.fields).to.include({ remote: '127.0.0.1:2', suppressed: 500 });
    expect(r.counts()).to.deep.equal({ ...noRejections(), 'bad-proof': 502 });
  });

  it('logs each host and each reason on its own', () => {
    const { r, log } = rejections();
    for (let i = 0; i < 3; i++) {
      r.reject('10.0.0.1:1', 'bad-proof', 'remoting.handshake-refused', {});
      r.reject('10.0.0.2:1', 'bad-proof', 'remoting.handshake-refused', {});
      r.reject('10.0.0.1:1', 'malformed', 'remoting.stream-refused', {});
    }
    expect(log.lines.map((l) => [l.event, l.fields.remote])).to.deep.equal([
      ['remoting.handshake-refused', '10.0.0.1:1'],
      ['remoting.handshake-refused', '10.0.0.2:1'],
      ['remoting.stream-refused', '10.0.0.1:1'],
    ]);
    expect(r.counts()).to.deep.include({ 'bad-proof': 6, malformed: 3 });
  });

  it('remembers a bounded number of hosts: past it, new hosts share one line until old windows end', () => {
    const { r, log, advance } = rejections({ maxKeys: 3 });
    for (let i = 0; i < 10_000; i++) r.reject(`10.1.${i >> 8}.${i & 255}:1`, 'timeout', 'remoting.stream-refused', {});
    // three hosts of their own, then one line for all the others
    expect(log.lines.map((l) => l.fields.remote)).to.deep.equal(['10.1.0.0:1', '10.1.0.1:1', '10.1.0.2:1', '10.1.0.3:1']);
    advance(10_000);
    r.reject('10.9.9.9:1', 'timeout', 'remoting.stream-refused', {});
    expect(log.lines.at(-1)!.fields).to.include({ remote: '10.9.9.9:1', suppressed: 0 });
    expect(r.counts().timeout).to.equal(10_001);
  });
});
