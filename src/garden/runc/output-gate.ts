/** Output held back until a runc exec is known to have started its process. */
import type { OutputLine, ProcessIO } from '../backend.js';

/** Holds a process's output back until `open()`: what comes before (runc's error) is dropped. */
export class OutputGate {
  private held: OutputLine[] = [];
  private opened = false;
  readonly io: ProcessIO;

  constructor(private readonly target: ProcessIO) {
    this.io = {
      ...(target.source !== undefined ? { source: target.source } : {}),
      onOutput: (line) => {
        if (this.opened) this.target.onOutput?.(line);
        else this.held.push(line);
      },
    };
  }

  /** Delivers what was held, then passes every line through. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    for (const line of this.held) this.target.onOutput?.(line);
    this.held = [];
  }
}
