/**
 * Actors: the supervision tree of every node (`GET /v1/actors`), expandable, with status,
 * restarts and mailbox size, read again every 3 s while shown (the tree has no events). The
 * first read goes 4 levels deep (control, lrps, each LRP's supervisor, its instances); a node
 * whose tree is too big for that is read 2 deep, and a deeper actor's children are read when it
 * is expanded. Choosing an actor shows what it accepts and sends it a message, asked or not.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { actorUrl, api } from '../api.js';
import { ago, ErrorLine, html, VirtualList } from '../ui.js';
import { MessageForm } from './message-form.js';


/** @returns {Promise<any[]>} the node entries, each with as deep a tree as it could give */
async function readTree() {
  const { nodes } = await api('GET', '/v1/actors?depth=4');
  return Promise.all(nodes.map(async (/** @type {any} */ n) => {
    if (n.status !== 'unreachable' || !/depth|actors/.test(n.reason ?? '')) return n;
    try {
      return await api('GET', `${actorUrl(n.path)}?depth=2`);
    } catch {
      return n;
    }
  }));
}

export function ActorsView() {
  const [nodes, setNodes] = useState(/** @type {any[]} */ ([]));
  /** subtrees read on expanding, by path: refreshed with the tree */
  const [grafts, setGrafts] = useState(/** @type {Map<string, any[]>} */ (new Map()));
  const [open, setOpen] = useState(/** @type {Map<string, boolean>} */ (new Map()));
  const [selected, setSelected] = useState(/** @type {string | undefined} */ (undefined));
  const [text, setText] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (undefined));

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const tree = await readTree();
        const refreshed = new Map();
        for (const path of grafts.keys()) refreshed.set(path, (await api('GET', `${actorUrl(path)}?depth=2`).catch(() => ({ children: grafts.get(path) }))).children ?? []);
        if (!stopped) (setNodes(tree), setGrafts(refreshed), setError(undefined));
      } catch (e) {
        if (!stopped) setError(e);
      }
    };
    void load();
    const timer = setInterval(load, 3000);
    return () => ((stopped = true), clearInterval(timer));
  }, [grafts.size]);

  const isOpen = (path, level) => open.get(path) ?? level < 3;
  const toggle = async (/** @type {any} */ actor, level) => {
    const next = !isOpen(actor.path, level);
    setOpen(new Map(open).set(actor.path, next));
    if (next && actor.children_count > (actor.children?.length ?? 0) && !grafts.has(actor.path)) {
      try {
        const view = await api('GET', `${actorUrl(actor.path)}?depth=2`);
        setGrafts(new Map(grafts).set(actor.path, view.children ?? []));
      } catch (e) {
        setError(e);
      }
    }
  };

  const rows = useMemo(() => {
    const needle = text.trim();
    /** @type {any[]} */
    const list = [];
    /** @param {any} actor @param {number} level @returns {boolean} whether it or a descendant matches */
    const walk = (actor, level, out) => {
      const children = grafts.get(actor.path) ?? actor.children ?? [];
      const mine = [];
      let below = false;
      for (const child of children) below = walk(child, level + 1, mine) || below;
      const matches = !needle || actor.path.includes(needle) || below;
      if (!matches) return false;
      const expanded = Boolean(needle) || isOpen(actor.path, level);
      out.push({ actor, level, expanded, hasChildren: (actor.children_count ?? children.length) > 0 });
      if (expanded) out.push(...mine);
      return true;
    };
    for (const n of nodes) {
      const node = { path: n.path, name: n.node, kind: 'node', status: n.status ?? 'up', children: n.actors, children_count: (n.actors ?? []).length, reason: n.reason };
      walk(node, 0, list);
    }
    return list;
  }, [nodes, grafts, open, text]);

  return html`<section><h2>Actors <span class="muted">${nodes.length} nodes</span></h2>
    <div class="filters"><input type="search" placeholder="filter by path, e.g. lrps/web" data-testid="actor-filter" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></div>
    <${ErrorLine} error=${error} />
    <div class="split"><div class="split-left">
    <div class="thead actor-cols"><span>actor</span><span>kind</span><span>status</span><span>restarts</span><span>mailbox</span><span>summary</span></div>
    <${VirtualList} testId="actor-tree" items=${rows} rowKey=${(r) => r.actor.path} height="calc(100vh - 250px)" row=${(r) => html`<div class=${`actor-cols trow ${selected === r.actor.path ? 'selected' : ''}`} data-testid="actor" data-path=${r.actor.path} data-kind=${r.actor.kind}>
      <span style=${`padding-left:${r.level * 16}px`} class="actor-name">
        ${r.hasChildren ? html`<button class="toggle" aria-label=${r.expanded ? 'collapse' : 'expand'} data-testid="toggle" onClick=${() => toggle(r.actor, r.level)}>${r.expanded ? '▾' : '▸'}</button>` : html`<span class="toggle"></span>`}
        <button class="link" onClick=${() => setSelected(r.actor.path)} title=${r.actor.path}>${r.actor.name}</button>${r.hasChildren ? html` <span class="muted small">${r.actor.children_count}</span>` : null}</span>
      <span>${r.actor.kind}</span><span class=${`status a-${r.actor.status}`} title=${r.actor.reason ?? r.actor.last_failure?.message ?? ''}>${r.actor.status}</span>
      <span>${r.actor.restarts || ''}</span><span>${r.actor.mailbox || ''}</span><span class="muted small summary" title=${JSON.stringify(r.actor.summary ?? '')}>${r.actor.reason ?? summaryText(r.actor.summary)}</span></div>`} />
    </div><div class="split-right">${selected ? html`<${ActorDetail} path=${selected} key=${selected} />` : html`<p class="muted">Choose an actor to see it and send it a message.</p>`}</div></div></section>`;
}

/** @param {any} summary @returns {string} */
const summaryText = (summary) => (summary && typeof summary === 'object' ? Object.entries(summary).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ') : '');

/** @param {{path: string}} props */
function ActorDetail({ path }) {
  const [view, setView] = useState(/** @type {any} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  useEffect(() => {
    if (path.split('/').length <= 2) return;
    api('GET', `${actorUrl(path)}?depth=1`).then(setView, setError);
  }, [path]);
  if (path.split('/').length <= 2) return html`<p>Node ${path.slice(1)}: choose one of its actors.</p>`;
  return html`<section data-testid="actor-detail"><h3 class="guid">${path}</h3><${ErrorLine} error=${error} />
    ${view ? html`<p>${view.kind} · ${view.status} · ${view.restarts} restarts · mailbox ${view.mailbox} · since ${ago(view.since)} · last message ${ago(view.last_message_at)}</p>
      ${view.last_failure ? html`<p class="error">last failure: ${view.last_failure.message}</p>` : null}
      ${view.summary ? html`<pre class="small">${JSON.stringify(view.summary, null, 1)}</pre>` : null}
      <${MessageForm} path=${path} accepts=${view.accepts ?? []} />` : null}</section>`;
}
