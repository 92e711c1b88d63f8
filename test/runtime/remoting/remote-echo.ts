/** An actor for the remote-ref tests: echoes, forwards, keeps what it is sent. */
import type { ActorSystem } from '../../../src/runtime/kernel/system.js';
import type { AnyRef, Ref } from '../../../src/runtime/kernel/protocol.js';

export type EchoMsg =
  | { type: 'echo/say'; text: string; replyTo: Ref<string> }
  | { type: 'echo/tell'; text: string }
  /** asks `via` to say `text` to `replyTo` */
  | { type: 'echo/forward'; text: string; via: Ref<EchoMsg>; replyTo: Ref<string> }
  /** replies with the refs as they arrived */
  | { type: 'echo/keep'; refs: { one: AnyRef; list: AnyRef[] }; replyTo: Ref<{ type: 'echo/kept'; one: AnyRef; list: AnyRef[] }> }
  /** never replies; keeps the reply address */
  | { type: 'echo/ignore'; replyTo: Ref<string> };

export interface Echo {
  ref: Ref<EchoMsg>;
  /** every message handled, in order */
  seen: EchoMsg[];
}

export function spawnEcho(system: ActorSystem, name = 'echo'): Echo {
  const seen: EchoMsg[] = [];
  const ref = system.spawnStateless<EchoMsg>(system.root, {
    kind: 'echo',
    name,
    handle: (msg) => {
      seen.push(msg);
      switch (msg.type) {
        case 'echo/say':
          system.dispatch(msg.replyTo, msg.text.toUpperCase());
          return;
        case 'echo/forward':
          system.dispatch(msg.via, { type: 'echo/say', text: msg.text, replyTo: msg.replyTo });
          return;
        case 'echo/keep':
          system.dispatch(msg.replyTo, { type: 'echo/kept', one: msg.refs.one, list: msg.refs.list });
          return;
        case 'echo/tell':
        case 'echo/ignore':
          return;
      }
    },
  });
  return { ref, seen };
}
