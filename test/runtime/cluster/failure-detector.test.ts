import { expect } from 'chai';
import { ArrivalWindow, detectorSettings, phi, silenceUntil, verdict } from '../../../src/runtime/cluster/failure-detector.js';

const settings = detectorSettings(1000, 5000);

/** A window fed heartbeats at these times. */
function window(arrivals: number[]): ArrivalWindow {
  const w = new ArrivalWindow(settings.maxSamples, settings.heartbeatMs);
  for (const at of arrivals) w.record(at);
  return w;
}

const steady = (count: number, every = 1000) => Array.from({ length: count }, (_, i) => i * every);

describe('failure detector (φ-accrual, defaults of --heartbeat-ms 1000, --cell-ttl-ms 5000)', () => {
  it('steady 1 s heartbeats: alive at 2.5 s of silence, suspect before 3 s, down before 3.5 s', () => {
    const w = window(steady(30));
    const last = 29_000;
    expect(verdict(w, last + 999, settings)).to.equal('alive');
    expect(verdict(w, last + 2_500, settings)).to.equal('alive');
    expect(verdict(w, last + 3_000, settings)).to.equal('suspect');
    expect(verdict(w, last + 3_500, settings)).to.equal('down');
  });

  it('φ grows with the silence', () => {
    const w = window(steady(30));
    const values = [0, 1000, 2000, 2500, 3000, 3500].map((s) => phi(w, 29_000 + s, settings));
    for (let i = 1; i < values.length; i++) expect(values[i]!, `at ${i}`).to.be.greaterThan(values[i - 1]!);
  });

  it('a killed node is down well under the 5 s TTL: 2.0–3.5 s after it died, whenever between heartbeats', () => {
    const downAfter = silenceUntil('down', 1000, 0, settings);
    const suspectAfter = silenceUntil('suspect', 1000, 0, settings);
    expect(suspectAfter).to.be.within(2_500, 3_000);
    expect(downAfter).to.be.within(suspectAfter, 3_500);
    // death lands anywhere in the interval since the last heartbeat
    expect(downAfter - 1000).to.be.at.least(2_000);
  });

  it('a node whose event loop stalls up to 800 ms each second is judged against its own rhythm', () => {
    const arrivals: number[] = [];
    let t = 0;
    for (let i = 0; i < 40; i++) arrivals.push((t += i % 2 ? 1800 : 1300));
    const slow = window(arrivals);
    const regular = window(steady(40));
    const silence = 2_900;
    expect(verdict(regular, 39_000 + silence, settings)).to.not.equal('alive');
    expect(verdict(slow, t + silence, settings)).to.equal('alive');
    // but still down by the cap, whatever the history
    expect(verdict(slow, t + settings.maxSilenceMs, settings)).to.equal('down');
    expect(settings.maxSilenceMs).to.equal(4_000);
  });

  it('one late heartbeat in a steady history is not suspicious; a later one goes on as before', () => {
    const w = window([...steady(20), 20_800]);
    expect(verdict(w, 20_800 + 1_000, settings)).to.equal('alive');
    expect(verdict(w, 20_800 + 2_500, settings)).to.equal('alive');
  });

  it('before the first heartbeat nothing is judged', () => {
    const w = new ArrivalWindow(settings.maxSamples, settings.heartbeatMs);
    expect(verdict(w, 1e12, settings)).to.equal('alive');
    expect(phi(w, 1e12, settings)).to.equal(0);
  });

  it('a heartbeat recorded out of order is ignored', () => {
    const w = window([0, 1000, 2000]);
    w.record(1500);
    expect(w.lastAt).to.equal(2000);
    expect(w.samples).to.equal(4);
  });

  it('keeps at most maxSamples intervals', () => {
    const w = window(steady(500));
    expect(w.samples).to.equal(settings.maxSamples);
    expect(w.mean()).to.equal(1000);
  });

  it('scales with --heartbeat-ms: 100 ms heartbeats are down within 0.35 s of silence', () => {
    const fast = detectorSettings(100, 5000);
    expect(silenceUntil('down', 100, 0, fast)).to.be.within(250, 350);
  });

  it('a TTL shorter than two heartbeats still leaves two heartbeats of silence', () => {
    expect(detectorSettings(1000, 1500).maxSilenceMs).to.equal(2000);
  });
});
