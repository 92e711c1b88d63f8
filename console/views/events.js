/** Events: the live stream as it comes (the last 5000), newest first, filtered by type and text. */
import { useMemo, useState } from 'preact/hooks';
import { store, useStore } from '../store.js';
import { html, VirtualList } from '../ui.js';

const TYPES = ['desired_lrp_created', 'desired_lrp_changed', 'desired_lrp_removed', 'actual_lrp_instance_created', 'actual_lrp_instance_changed', 'actual_lrp_instance_removed', 'actual_lrp_crashed', 'task_created', 'task_changed', 'task_removed', 'cell_appeared', 'cell_disappeared'];

/** @param {{type: string, data: any}} e @returns {string} what changed, in a few words */
function describe({ type, data }) {
  const row = data.actual_lrp ?? data.after ?? data.desired_lrp ?? data.task ?? data.cell ?? data;
  const who = row.process_guid !== undefined ? `${row.process_guid}${row.index !== undefined ? `/${row.index}` : ''}` : row.task_guid ?? row.cell_id ?? '';
  if (type === 'actual_lrp_instance_changed' || type === 'task_changed') return `${who} ${data.before.state}→${data.after.state}${data.after.cell_id ? ` on ${data.after.cell_id}` : ''}${data.after.placement_error ? `: ${data.after.placement_error}` : ''}`;
  if (type === 'desired_lrp_changed') return `${who} instances ${data.before.instances}→${data.after.instances}`;
  if (type === 'actual_lrp_crashed') return `${who} crash #${data.crash_count}: ${data.crash_reason}`;
  return `${who}${row.state ? ` ${row.state}` : ''}`;
}

export function EventsView() {
  const version = useStore();
  const [type, setType] = useState('');
  const [text, setText] = useState('');
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const list = [];
    for (let i = store.events.length - 1; i >= 0; i--) {
      const e = store.events[i];
      if (type && e.type !== type) continue;
      const line = describe(e);
      if (needle && !line.toLowerCase().includes(needle)) continue;
      list.push({ ...e, line });
    }
    return list;
  }, [version, type, text]);
  return html`<section><h2>Events <span class="muted">${rows.length} shown, ${store.events.length} kept</span></h2>
    <div class="filters"><label>type <select data-testid="event-type" value=${type} onChange=${(e) => setType(e.currentTarget.value)}><option value="">all</option>${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      <input type="search" placeholder="filter by guid or text" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></div>
    <div class="thead event-cols"><span>id</span><span>at</span><span>type</span><span>what</span></div>
    <${VirtualList} testId="events" items=${rows} rowKey=${(e) => e.id} row=${(e) => html`<div class="event-cols trow" data-testid="event" data-type=${e.type}>
      <span class="muted">${e.id}</span><span>${new Date(e.at).toLocaleTimeString(undefined, { hour12: false })}</span><span class=${`etype ${e.type}`}>${e.type}</span><span title=${JSON.stringify(e.data)}>${e.line}</span></div>`} />
  </section>`;
}
