/**
 * `npm run bench -- scale` at a tiny size (200 instances on 20 simulated cells): a smoke test
 * that the benchmark runs end to end and its JSON line is complete and sane, not a timed test.
 * The figures themselves are the benchmark's business (README "Benchmarks").
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { finished } from '../support/child-process.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

describe('bench: scale (smoke, 200 instances)', function () {
  this.timeout(90_000);

  it('fills, probes, converges, lists and restarts with every field in its JSON line, nothing lost, nothing restarted', async () => {
    const child = spawn(process.execPath, [RUN, 'scale'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // a shorter cell TTL shortens the restarted node's grace before its first convergence pass;
  // a shorter idle time lets the instances passivate before the settled memory is read
      env: { ...process.env, BENCH_INSTANCES: '200', BENCH_CELLS: '20', BENCH_PROBES: '20', BENCH_MAX_S: '75', BENCH_CONTROL_ARGS: '--cell-ttl-ms 2500 --idle-ms 1000' },
    });
    const { code, stdout, stderr } = await finished(child, 85_000);
    expect(code, stderr).to.equal(0);
    const line = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | boolean | null>;
    expect(line.gave_up, `${line.error}\n${stderr}`).to.equal(false);
    for (const field of ['fill_s', 'desires_per_s', 'desire_p99_ms', 'probe_p99_ms_0', 'probe_p99_ms_50', 'probe_p99_ms_100', 'probe_full_empty_ratio',
      'convergence_ms', 'heap_mb', 'rss_mb', 'restart_s', 'list_all_ms', 'raw_lmdb_rows_per_s', 'raw_lmdb_instances_per_s', 'ratio']) {
      expect(line[field], field).to.be.a('number').and.above(0);
    }
    expect(line.convergence_max_stall_ms).to.be.a('number').and.at.least(0);
    expect(line.lrps).to.be.within(150, 199); // mostly one instance each
    // the 200 instances and 4 × 20 probes (warm-up, 0, 50, 100 %): all RUNNING, listed, and still there after kill -9
    expect(line.expected_running).to.equal(280);
    expect(line.listed_running).to.equal(280);
    expect(line.restarted_instances).to.equal(0);
    expect(line.stopped_instances).to.equal(0);
    expect(line.desire_failures).to.equal(0);
    expect(line.heap_mb).to.be.below(line.rss_mb as number);
    // settled: the instances passivated (at most 2 % live) and the heap was read
    expect(line.settled_live_instances).to.be.at.most(5);
    expect(line.settled_live_heap_mb).to.be.a('number').and.above(0);
    expect(line.live_heap_mb).to.be.a('number').and.above(0).and.at.most(line.rss_mb as number);
    // the fill's CPU per instance, by side, and what the cores would allow at that cost
    const cpu = line.fill_cpu_ms_per_instance as unknown as Record<string, number>;
    for (const side of ['control', 'cells', 'client']) expect(cpu[side], side).to.be.a('number').and.above(0);
    expect(cpu.total).to.be.closeTo(cpu.control! + cpu.cells! + cpu.client!, 0.01);
    expect(line.fill_cpu_bound_instances_per_s).to.be.a('number').and.above(0);
  });
});
