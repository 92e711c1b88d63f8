/**
 * Several messages per turn: nact handles one message per `setImmediate`, so an actor with a
 * full mailbox takes one message per turn of the event loop, and each turn (timers, a poll of
 * the sockets, the Immediate, its async closure) cost more than most handlers: one actor topped
 * out near 0.85 M msgs/s (ACTORS.md 0.5), and a remote actor receiving a batch of 512 envelopes
 * took 512 turns to drain it. Here an actor handles up to {@link THROUGHPUT} queued messages in
 * one Immediate, or fewer if {@link TURN_BUDGET_MS} has passed (Akka's dispatcher `throughput`
 * with its deadline). Everything else is nact's: the handler is awaited before the next message,
 * a fault goes to handleFault and ends the turn,
 * (a handler's promise is awaited; a plain state is taken at once, without a microtask), afterMessage runs after each message, a stopped
 * actor takes nothing more, and an empty mailbox leaves the actor idle through processNext.
 */
import type { NactActor } from './nact-internals.js';

export const THROUGHPUT = 64;
export const TURN_BUDGET_MS = 2;

let turns = 0;
/** Counts turns in this process: the kernel stamps an actor's `lastMessageAt` once per turn, not per message. */
export const currentTurn = (): number => turns;

interface TurnActor extends NactActor {
  f: (this: unknown, state: unknown, msg: unknown, ctx: unknown) => unknown;
  immediate: unknown;
  mailbox: NactActor['mailbox'] & { shift(): { message: unknown; sender: unknown } | undefined };
  createContext(sender: unknown): unknown;
  afterMessage(): unknown;
}

/** Replaces `handleMessage` on nact's Actor prototype (persistent actors inherit it). */
export function handleMessageInTurns(this: TurnActor, message: unknown, sender: unknown): void {
  this.busy = true;
  this.immediate = setImmediate(() => void turn(this, message, sender));
}

async function turn(actor: TurnActor, message: unknown, sender: unknown): Promise<void> {
  const started = performance.now();
  turns++;
  for (let handled = 1; ; handled++) {
    try {
      const ctx = actor.createContext(sender);
      const next = actor.f.call(ctx, actor.state, message, ctx);
      // a synchronous handler's state is taken as is: awaiting it would cost a microtask per message
      actor.state = isThenable(next) ? await next : next;
      actor.afterMessage();
    } catch (error) {
      void actor.handleFault(message, sender, error);
      return;
    }
    // the clock is read every 8th message: a read costs about as much as a small handler
    if (actor.stopped || handled >= THROUGHPUT || actor.mailbox.length === 0 || ((handled & 7) === 0 && performance.now() - started > TURN_BUDGET_MS)) {
      actor.processNext();
      return;
    }
    const next = actor.mailbox.shift()!;
    message = next.message;
    sender = next.sender;
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof (x as { then?: unknown }).then === 'function';
}
