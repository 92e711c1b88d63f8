/**
 * The operator console's root: the token prompt (when the gateway has a token), the navigation,
 * hash routing (`#/cluster`, `#/lrps`, `#/lrps/<guid>[/<index>]`, `#/placement`, `#/tasks`,
 * `#/tasks/<guid>`, `#/actors`, `#/events`) and the live stream's status.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, onUnauthorized, setToken, token } from './api.js';
import { connect, store, useStore } from './store.js';
import { ConfirmHost, html } from './ui.js';
import { ClusterView } from './views/cluster.js';
import { LrpsView } from './views/lrps.js';
import { LrpView } from './views/lrp.js';
import { PlacementView } from './views/placement.js';
import { TasksView } from './views/tasks.js';
import { ActorsView } from './views/actors.js';
import { EventsView } from './views/events.js';

/** @returns {string[]} the hash route's segments, decoded */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  return hash === '' ? ['cluster'] : hash.split('/').map(decodeURIComponent);
}

function useRoute() {
  const [segments, setSegments] = useState(route());
  useEffect(() => {
    const update = () => setSegments(route());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return segments;
}

const NAV = [
  ['cluster', 'Cluster'],
  ['lrps', 'LRPs'],
  ['placement', 'Placement'],
  ['tasks', 'Tasks'],
  ['actors', 'Actors'],
  ['events', 'Events'],
];

/** @param {{onToken: (t: string) => void, wrong: boolean}} props */
function TokenPrompt({ onToken, wrong }) {
  const [value, setValue] = useState('');
  return html`<form class="token" data-testid="token-prompt" onSubmit=${(e) => (e.preventDefault(), onToken(value))}>
    <h1>Auctor</h1>
    <p>This gateway needs its API token (<code>--api-token</code>). It is kept for this tab only.</p>
    <label>API token <input type="password" name="token" autocomplete="current-password" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} /></label>
    <button type="submit">Open the console</button>
    ${wrong ? html`<p class="error" role="alert">That token was refused.</p>` : null}
  </form>`;
}

function Shell() {
  const segments = useRoute();
  useStore();
  const [page, ...rest] = segments;
  let view;
  if (page === 'lrps' && rest[0] !== undefined) view = html`<${LrpView} guid=${rest[0]} index=${rest[1]} />`;
  else if (page === 'lrps') view = html`<${LrpsView} />`;
  else if (page === 'placement') view = html`<${PlacementView} />`;
  else if (page === 'tasks') view = html`<${TasksView} guid=${rest[0]} />`;
  else if (page === 'actors') view = html`<${ActorsView} />`;
  else if (page === 'events') view = html`<${EventsView} />`;
  else view = html`<${ClusterView} />`;
  return html`<header>
      <strong class="brand">Auctor</strong>
      <nav>${NAV.map(([id, label]) => html`<a href=${`#/${id}`} class=${page === id ? 'active' : ''}>${label}</a>`)}</nav>
      <span class=${`live ${store.live ? 'on' : 'off'}`} data-testid="live">${store.live ? 'live' : 'reconnecting…'}</span>
    </header>
    <main>${store.error ? html`<p class="error" role="alert">${store.error}</p>` : null}${view}</main>
    <${ConfirmHost} />`;
}

function App() {
  const [phase, setPhase] = useState(/** @type {'checking' | 'token' | 'ready'} */ ('checking'));
  const [wrong, setWrong] = useState(false);
  const [failure, setFailure] = useState('');

  const check = async () => {
    const hadToken = token() !== '';
    try {
      await api('GET', '/v1/ping');
      setPhase('ready');
      connect();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setWrong(hadToken);
        setToken('');
        setPhase('token');
      } else setFailure(String(/** @type {Error} */ (error).message));
    }
  };
  useEffect(() => {
    onUnauthorized(() => {
      setToken('');
      setWrong(true);
      setPhase('token');
    });
    void check();
  }, []);

  if (failure) return html`<p class="error pad" role="alert">The gateway does not answer: ${failure}</p>`;
  if (phase === 'checking') return html`<p class="muted pad">Connecting…</p>`;
  if (phase === 'token') return html`<${TokenPrompt} wrong=${wrong} onToken=${(t) => (setToken(t), setPhase('checking'), void check())} />`;
  return html`<${Shell} />`;
}

render(html`<${App} />`, /** @type {HTMLElement} */ (document.getElementById('app')));
