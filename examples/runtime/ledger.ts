/**
 * A persistent actor: a ledger of deposits, event-sourced through the kernel on the node's
 * persistence engine. A deposit is acknowledged only once its event is durable, so whatever the
 * ledger acknowledged is there after kill -9 of its node: the restarted actor replays its journal
 * through the same pure `applyEvent`.
 */
import { assertNever, type AnyRef, type Ref } from '../../src/runtime/kernel/protocol.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';

export interface LedgerState {
  balance: number;
  deposits: number;
}

export type LedgerMsg =
  | { type: 'ledger/deposit'; amount: number; replyTo: Ref<LedgerState> }
  | { type: 'ledger/balance'; replyTo: Ref<LedgerState> };

export const LedgerMsg = {
  deposit: (amount: number) => (replyTo: Ref<LedgerState>): LedgerMsg => ({ type: 'ledger/deposit', amount, replyTo }),
  balance: (replyTo: Ref<LedgerState>): LedgerMsg => ({ type: 'ledger/balance', replyTo }),
};

type LedgerEvent = { type: 'deposited'; amount: number };

export const LEDGER_PATH = '/ledger';

function applyEvent(state: LedgerState, event: LedgerEvent): LedgerState {
  return { balance: state.balance + event.amount, deposits: state.deposits + 1 };
}

/** Spawns `/ledger`, journaled under the key `ledger`; it replays what its journal holds first. */
export function spawnLedger(system: ActorSystem, parent: AnyRef = system.root): Ref<LedgerMsg> {
  return system.spawnPersistent<LedgerState, LedgerMsg, LedgerEvent>(parent, {
    kind: 'ledger',
    name: 'ledger',
    key: 'ledger',
    snapshotEvery: 100,
    initialState: () => ({ balance: 0, deposits: 0 }),
    applyEvent,
    summary: (state) => state,
    handle: async (state, msg, ctx) => {
      switch (msg.type) {
        case 'ledger/deposit': {
          // a message from another node is data: an amount that is not a positive integer is refused
          if (!Number.isSafeInteger(msg.amount) || msg.amount <= 0) throw new Error(`deposit of ${String(msg.amount)}: not a positive integer`);
          const next = await ctx.persist({ type: 'deposited', amount: msg.amount });
          ctx.system.dispatch(msg.replyTo, next);
          return next;
        }
        case 'ledger/balance':
          ctx.system.dispatch(msg.replyTo, state);
          return state;
        default:
          return assertNever(msg);
      }
    },
  });
}
