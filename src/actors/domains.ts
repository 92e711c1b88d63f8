/**
 * Domain freshness (BBS domains, DIEGO.md 3.6): a persistent set of domains with expiry times.
 * A fresh domain lets convergence retire what it no longer desires.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import { freshDomains, upsertDomain, validateDomainUpsert, type DomainRecord } from '../models/domain.js';
import { ok } from '../base/errors.js';
import { msToNs } from '../models/time.js';
import type { DomainsMsg } from './domains.protocol.js';
import { DOMAINS_PROTOCOL } from './domains.protocol-schema.js';

type Event = { type: 'upserted'; record: DomainRecord };

interface State {
  domains: Record<string, DomainRecord>;
}

export function spawnDomains(system: ActorSystem, parent: AnyRef, onCrash?: CrashPolicy): Ref<DomainsMsg> {
  return system.spawnPersistent<State, DomainsMsg, Event>(parent, {
    kind: 'domains',
    protocol: DOMAINS_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: 'domains',
    key: 'domains',
    snapshotEvery: 100,
    initialState: () => ({ domains: {} }),
    applyEvent: (s, e) => ({ domains: { ...s.domains, [e.record.domain]: e.record } }),
    summary: (s) => ({ domains: Object.keys(s.domains).length }),
    handle: async (state, msg, ctx) => {
      const now = msToNs(ctx.clock.now());
      switch (msg.type) {
        case 'domains/upsert': {
          const valid = validateDomainUpsert(msg.domain, msg.body);
          if (!valid.ok) {
            system.dispatch(msg.replyTo, valid);
            return state;
          }
          const record = upsertDomain(valid.value.domain, valid.value.ttl, now);
          const next = (await ctx.persist({ type: 'upserted', record })) as State;
          system.dispatch(msg.replyTo, ok(record));
          return next;
        }
        case 'domains/fresh':
          system.dispatch(msg.replyTo, freshDomains(Object.values(state.domains), now));
          return state;
        default:
          return assertNever(msg);
      }
    },
  });
}
