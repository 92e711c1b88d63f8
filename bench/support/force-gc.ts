/**
 * `node --experimental-websocket dist/bench/support/force-gc.js PORT`: has the Node process whose
 * inspector listens on 127.0.0.1:PORT collect all its garbage (the DevTools protocol's
 * `HeapProfiler.collectGarbage`), then exits 0. The scale bench reads the control node's heap
 * right after, so `live_heap_mb` is the live set rather than whatever garbage the young and old
 * generations hold at that moment. Exits 1 with the reason on stderr.
 */
const port = Number(process.argv[2]);

async function main(): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    socket.onmessage = (event) => {
      const answer = JSON.parse(String(event.data)) as { id?: number; error?: { message: string } };
      if (answer.id !== 1) return;
      socket.close();
      if (answer.error) reject(new Error(answer.error.message));
      else resolve();
    };
    socket.onerror = () => reject(new Error(`inspector socket ${url} failed`));
  });
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`force-gc: ${(error as Error).message}\n`);
  process.exit(1);
});
