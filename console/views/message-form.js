/**
 * Sends one actor a message (`POST /v1/actors/<path>/messages`), chosen from what it accepts,
 * with `ask` (the reply is shown) or without (202).
 */
import { useState } from 'preact/hooks';
import { ApiError, actorUrl, api } from '../api.js';
import { html } from '../ui.js';

/** @param {any} accepted @returns {string} a body to start from: the type and its required fields */
function template(accepted) {
  /** @type {Record<string, unknown>} */
  const body = { type: accepted.type };
  for (const name of accepted.required ?? []) {
    if (name === 'type') continue;
    const type = accepted.properties?.[name]?.type;
    body[name] = type === 'integer' || type === 'number' ? 0 : type === 'object' ? {} : '';
  }
  return JSON.stringify(body, null, 1);
}

/** @param {{path: string, accepts: any[]}} props */
export function MessageForm({ path, accepts }) {
  const [type, setType] = useState(accepts[0]?.type ?? '');
  const [body, setBody] = useState(accepts[0] ? template(accepts[0]) : '{"type": ""}');
  const [ask, setAsk] = useState(accepts[0] ? Boolean(accepts[0].reply) : true);
  const [outcome, setOutcome] = useState(/** @type {{ok: boolean, text: string} | undefined} */ (undefined));
  if (accepts.length === 0) return html`<p class="muted">This actor accepts no messages from outside.</p>`;
  const choose = (value) => {
    const accepted = accepts.find((a) => a.type === value);
    setType(value);
    if (accepted) (setBody(template(accepted)), setAsk(Boolean(accepted.reply)));
  };
  const send = async (e) => {
    e.preventDefault();
    let message;
    try {
      message = JSON.parse(body);
    } catch (error) {
      return setOutcome({ ok: false, text: `not JSON: ${/** @type {Error} */ (error).message}` });
    }
    setOutcome(undefined);
    try {
      const answer = await api('POST', `${actorUrl(path)}/messages${ask ? '?ask=true' : ''}`, message);
      setOutcome({ ok: true, text: ask ? JSON.stringify(answer?.reply, null, 1) : 'sent (202)' });
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof ApiError ? `${error.status} ${error.type}: ${error.message}` : String(error) });
    }
  };
  const accepted = accepts.find((a) => a.type === type);
  return html`<form class="message" data-testid="message-form" onSubmit=${send}>
    <h4>Send a message</h4>
    <label>type <select data-testid="message-type" value=${type} onChange=${(e) => choose(e.currentTarget.value)}>${accepts.map((a) => html`<option value=${a.type}>${a.type}</option>`)}</select></label>
    ${accepted?.description ? html`<p class="muted small">${accepted.description}${accepted.reply ? ` → ${accepted.reply}` : ''}</p>` : null}
    <textarea rows="6" data-testid="message-body" value=${body} onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
    <label><input type="checkbox" data-testid="message-ask" checked=${ask} onChange=${(e) => setAsk(e.currentTarget.checked)} /> ask (wait for the reply)</label>
    <button type="submit" data-testid="message-send">Send</button>
    ${outcome ? html`<pre class=${outcome.ok ? 'reply' : 'error'} data-testid="message-reply">${outcome.text}</pre>` : null}
  </form>`;
}
