/** Tasks: every task with its state, cell and failure reason (virtualised); one opens its result and, when it failed placement, each cell's shortfall. */
import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { store, useStore } from '../store.js';
import { ago, confirmAction, ErrorLine, html, State, VirtualList } from '../ui.js';
import { PlacementPanel } from './placement.js';

/** @param {{guid: string}} props */
function TaskDetail({ guid }) {
  const task = store.tasks.get(guid);
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  if (!task) return html`<p class="muted">No task ${guid} (resolved, or not created yet).</p>`;
  const act = async (question, method, path) => {
    if (!(await confirmAction(question))) return;
    try {
      await api(method, path);
    } catch (e) {
      setError(e);
    }
  };
  const unplaced = (task.failed && /resources|rootfs|placement|cell/i.test(task.failure_reason ?? '')) || (task.state === 'PENDING' && task.rejection_reason);
  return html`<section data-testid="task-detail"><h3><span class="guid">${task.task_guid}</span> <${State} state=${task.state} /></h3>
    <p>domain ${task.domain} · cell ${task.cell_id || '—'} · created ${ago(task.created_at)} · updated ${ago(task.updated_at)}</p>
    ${task.failed ? html`<p class="error">failed: ${task.failure_reason}</p>` : null}
    ${task.rejection_reason ? html`<p class="muted">rejected ${task.rejection_count} times: ${task.rejection_reason}</p>` : null}
    ${task.result ? html`<h4>result</h4><pre data-testid="task-result">${task.result}</pre>` : null}
    <div class="actions">
      ${task.state === 'PENDING' || task.state === 'RUNNING' ? html`<button class="danger" onClick=${() => act(`Cancel task ${guid}?`, 'POST', `/v1/tasks/${enc(guid)}/cancel`)}>Cancel</button>` : null}
      ${task.state === 'COMPLETED' ? html`<button onClick=${() => act(`Resolve (delete) task ${guid}?`, 'DELETE', `/v1/tasks/${enc(guid)}`)}>Resolve</button>` : null}
    </div><${ErrorLine} error=${error} />
    ${unplaced ? html`<${PlacementPanel} kind="task" guid=${guid} error=${task.failure_reason || task.rejection_reason} />` : null}
  </section>`;
}

/** @param {{guid: string | undefined}} props */
export function TasksView({ guid }) {
  const version = useStore();
  const [text, setText] = useState('');
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return [...store.tasks.values()].filter((t) => !needle || t.task_guid.toLowerCase().includes(needle)).sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  }, [version, text]);
  return html`<section><h2>Tasks <span class="muted">${rows.length} of ${store.tasks.size}</span></h2>
    <div class="filters"><input type="search" placeholder="filter by task guid" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></div>
    <div class="split"><div class="split-left">
    <div class="thead task-cols"><span>task guid</span><span>state</span><span>cell</span><span>failure / result</span></div>
    <${VirtualList} testId="tasks" items=${rows} rowKey=${(t) => t.task_guid} height="calc(100vh - 250px)" row=${(t) => html`<a class=${`task-cols trow ${t.task_guid === guid ? 'selected' : ''}`} href=${`#/tasks/${enc(t.task_guid)}`} data-testid="task-row">
      <span class="guid">${t.task_guid}</span><span><${State} state=${t.state} /></span><span>${t.cell_id || '—'}</span><span class=${t.failed ? 'error' : 'muted'}>${t.failed ? t.failure_reason : t.result ?? ''}</span></a>`} />
    </div><div class="split-right">${guid ? html`<${TaskDetail} guid=${guid} key=${guid} />` : html`<p class="muted">Choose a task.</p>`}</div></div></section>`;
}
