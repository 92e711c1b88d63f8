/**
 * The operator console in Chromium against a real node (control and cell, process backend, a
 * token): what an operator sees and does from the page. Skips with the reason when Chromium is
 * missing. Screenshots land in test-output/console/.
 */
import { expect } from 'chai';
import type { Locator, Page } from 'playwright-core';
import { browserMissing, launchBrowser, type HeadlessBrowser } from '../support/browser.js';
import { eventually } from '../support/eventually.js';
import { FAST_FLAGS, http, removeAllLrps, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const TOKEN = 'console-t0ken';
const auth = { authorization: `Bearer ${TOKEN}` };

/** An LRP whose process runs a moment, prints a line and exits 3: it crashes, is restarted, crashes... */
const crashingLrp = (guid: string) => ({
  process_guid: guid,
  domain: 'console',
  rootfs: 'preloaded:host',
  instances: 1,
  memory_mb: 16,
  disk_mb: 16,
  action: { run: { path: 'sh', args: ['-c', 'sleep 0.5; echo "going down now"; exit 3'], user: 'vcap' } },
  crash_policy: { max_restarts: 2 },
});

const texts = async (locator: Locator): Promise<string[]> => (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

describe('the operator console in Chromium (a real node)', function () {
  this.timeout(120_000);
  const missing = browserMissing();
  let node: NodeProcess;
  let chromium: HeadlessBrowser;
  const dir = tempDir();

  before(async function () {
    if (missing) this.skip();
    node = await startNode(dir.path, ['--name', 'console-node', '--api-token', TOKEN, ...FAST_FLAGS]);
    chromium = await launchBrowser();
  });
  after(async () => {
    if (missing) return;
    await chromium?.close();
    if (node) {
      await removeAllLrps(node.url, auth).catch(() => undefined);
      await node.stop();
    }
    dir.remove();
  });
  if (missing) it(`is skipped: ${missing}`, function () {
    this.skip();
  });

  /** A page that has given the token, at `hash`. */
  async function openConsole(hash: string): Promise<Page & { errors: string[] }> {
    const page = await chromium.page();
    await page.goto(`${node.url}/${hash}`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    return page;
  }
  const api = async (method: string, path: string, body?: unknown) => http(node.url, method, path, body, auth);

  it('asks for the token once, refuses a wrong one, and keeps the right one for the tab', async () => {
    const page = await chromium.page();
    await page.goto(node.url + '/');
    await page.getByTestId('token-prompt').waitFor();
    await chromium.screenshot(page, 'token-prompt');
    await page.getByLabel('API token').fill('wrong');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByText('That token was refused.').waitFor();
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByTestId('members').getByText('console-node').waitFor();
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    await page.reload();
    await page.getByTestId('members').getByText('console-node').waitFor();
    expect(await page.getByTestId('token-prompt').count()).to.equal(0);
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it('a desired LRP appears live with its instances RUNNING; scaling it from the page starts one more', async () => {
    const page = await openConsole('#/lrps');
    expect((await api('POST', '/v1/desired_lrps', webLrp('web', 2))).status).to.equal(201);
    const row = page.locator('[data-testid=lrp-row][data-guid=web]');
    await row.getByTestId('running').filter({ hasText: '2 / 2' }).waitFor({ timeout: 30_000 });
    await row.click();
    await page.locator('[data-testid=instance][data-state=RUNNING]').nth(1).waitFor();
    expect(await texts(page.getByTestId('instance-state'))).to.deep.equal(['RUNNING', 'RUNNING']);
    await chromium.screenshot(page, 'lrp-running');

    await page.getByTestId('scale-input').fill('3');
    await page.getByTestId('scale').click();
    await page.getByTestId('confirm').getByText('Scale web from 2 to 3 instances?').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-testid=instance][data-state=RUNNING]').nth(2).waitFor({ timeout: 30_000 });
    expect((await api('GET', '/v1/desired_lrps/web')).json.instances).to.equal(3);
    await page.getByTestId('lrp-summary').filter({ hasText: '3 of 3 running' }).waitFor();
    await chromium.screenshot(page, 'lrp-scaled');
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it('retiring an instance from the page replaces it; removing the LRP stops its instances', async () => {
    expect((await api('POST', '/v1/desired_lrps', webLrp('short', 1))).status).to.equal(201);
    const first = await eventually(async () => {
      const [row] = (await api('GET', '/v1/actual_lrps/short')).json;
      expect(row.state).to.equal('RUNNING');
      return row.instance_guid as string;
    }, { timeout: 30_000 });
    const page = await openConsole('#/lrps/short');
    await page.locator('[data-testid=instance][data-state=RUNNING]').waitFor();
    await page.getByTestId('retire').click();
    await page.getByTestId('confirm').getByText('Retire instance 0 of short?').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await eventually(async () => {
      const [row] = (await api('GET', '/v1/actual_lrps/short')).json;
      expect(row.instance_guid).to.not.equal(first);
      expect(row.state).to.equal('RUNNING');
    }, { timeout: 30_000, interval: 100 });
    await page.locator('[data-testid=instance][data-state=RUNNING]').waitFor();

    await page.getByTestId('remove').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await api('GET', '/v1/desired_lrps/short')).status, 'cancelled: still there').to.equal(200);
    await page.getByTestId('remove').click();
    await page.getByTestId('confirm').getByText('Remove short?').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();
    // back on the list, without it
    await page.getByTestId('lrps').waitFor();
    await eventually(async () => expect((await api('GET', '/v1/actual_lrps/short')).json).to.deep.equal([]), { timeout: 20_000, interval: 100 });
    expect(await page.locator('[data-testid=lrp-row][data-guid=short]').count()).to.equal(0);
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it("a crash shows on the instance's timeline with its reason, after the log line that preceded it", async () => {
    const page = await openConsole('#/lrps/crashy/0');
    expect((await api('POST', '/v1/desired_lrps', crashingLrp('crashy'))).status).to.equal(201);
    const crashed = page.locator('[data-testid=tl-entry][data-kind=crashed]').first();
    await crashed.waitFor({ timeout: 30_000 });
    expect(await crashed.innerText()).to.match(/exited with status 3/i);
    // the rows from the decision before the crash up to it: the instance's output, ending with the crash
    const rows = await eventually(async () => {
      const all = await page.getByTestId('timeline').locator('> div').evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind') ?? 'log', text: (e as unknown as { innerText: string }).innerText })));
      const at = all.findIndex((r) => r.kind === 'crashed');
      let from = at - 1;
      while (from >= 0 && all[from]!.kind === 'log') from -= 1;
      const before = all.slice(from + 1, at);
      expect(before.map((r) => r.text).join('\n'), `the lines before the crash in ${JSON.stringify(all)}`).to.match(/going down now/);
      return all;
    }, { timeout: 10_000, interval: 200 });
    expect(rows.some((r) => r.kind === 'running' || r.kind === 'claimed')).to.equal(true);
    await chromium.screenshot(page, 'timeline-crash');
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it("the actor tree shows the LRP's supervisor and its instances, and a message sent from the page gets its reply", async () => {
    if ((await api('GET', '/v1/desired_lrps/web')).status !== 200) expect((await api('POST', '/v1/desired_lrps', webLrp('web', 2))).status).to.equal(201);
    const page = await openConsole('#/actors');
    await page.getByTestId('actor-filter').fill('lrps/web');
    const supervisor = page.locator('[data-testid=actor][data-path="/console-node/control/lrps/web"]');
    await supervisor.waitFor();
    expect(await supervisor.getAttribute('data-kind')).to.equal('lrp-supervisor');
    await page.locator('[data-testid=actor][data-path="/console-node/control/lrps/web/1"]').waitFor();
    const instances = await page.locator('[data-testid=actor][data-kind=actual-lrp]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
    expect(instances).to.include.members(['/console-node/control/lrps/web/0', '/console-node/control/lrps/web/1']);

    await supervisor.getByRole('button', { name: 'web', exact: true }).click();
    const form = page.getByTestId('message-form');
    await form.waitFor();
    await page.getByTestId('message-type').selectOption('lrp/get');
    expect(await page.getByTestId('message-ask').isChecked()).to.equal(true);
    await page.getByTestId('message-send').click();
    const reply = page.getByTestId('message-reply');
    await reply.waitFor();
    expect(JSON.parse(await reply.innerText())).to.include({ process_guid: 'web', domain: 'apps' });
    await chromium.screenshot(page, 'actors-message');
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it('an LRP no cell can hold shows, for its unplaced instance, what each cell lacked', async () => {
    const big = { ...webLrp('huge', 1), memory_mb: 1_000_000 };
    expect((await api('POST', '/v1/desired_lrps', big)).status).to.equal(201);
    await eventually(async () => expect((await api('GET', '/v1/actual_lrps/huge')).json[0].placement_error).to.match(/insufficient resources/), { timeout: 20_000 });
    const page = await openConsole('#/placement');
    await page.getByTestId('unplaced-row').filter({ hasText: 'huge/0' }).click();
    const shortfall = page.locator('[data-testid=shortfall][data-cell=console-node]');
    await shortfall.waitFor();
    const cells = await texts(shortfall.locator('td'));
    expect(cells[2]).to.match(/memory/);
    expect(cells[3]).to.match(/^\d+ MB$/);
    await chromium.screenshot(page, 'placement');
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });
});
