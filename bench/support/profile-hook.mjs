// Loaded into a node with `--import` (bench/desire.ts, through NODE_OPTIONS, which refuses
// `--cpu-prof`): SIGUSR2 starts V8's CPU profiler, the next SIGUSR2 writes the profile to
// $BENCH_PROFILE_OUT (a .cpuprofile Chrome DevTools and bench/support/profile-summary.mjs read).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
    running = true;
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, { profile }) => {
    if (!error) writeFileSync(process.env.BENCH_PROFILE_OUT ?? 'control.cpuprofile', JSON.stringify(profile));
  });
});
