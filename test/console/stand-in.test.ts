/**
 * The console against a stand-in gateway (test/support/console-stub.ts) that answers what a node
 * would: a stream dropped on purpose reconnects with Last-Event-ID and misses nothing, a 410 (the
 * missed events are no longer kept) makes the page list everything again and follow afresh;
 * 10 000 LRPs stay a list of a few dozen rows in the page, filtered by domain and text.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type HeadlessBrowser } from '../support/browser.js';
import { openEventStream, sseFrame, startConsoleStub, type ConsoleStub } from '../support/console-stub.js';
import { eventually } from '../support/eventually.js';

const lrp = (guid: string) => ({ process_guid: guid, domain: 'd', rootfs: 'preloaded:host', instances: 1, action: { run: { path: 'true', user: 'vcap' } } });

describe('the console against a stand-in gateway (Chromium)', function () {
  this.timeout(60_000);
  const missing = browserMissing();
  let chromium: HeadlessBrowser;
  let stub: ConsoleStub | undefined;
  before(async function () {
    if (missing) this.skip();
    chromium = await launchBrowser();
  });
  after(async () => chromium?.close());
  afterEach(async () => stub?.close());
  if (missing) it(`is skipped: ${missing}`, function () {
    this.skip();
  });

  const shownLrps = async (page: Page) => (await page.locator('[data-testid=lrp-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-guid')))).sort();

  it('resumes after the last event it saw, and lists again when the node no longer keeps what it missed', async () => {
    let listing = [lrp('a')];
    /** the Last-Event-ID each connection sent */
    const resumedFrom: Array<string | undefined> = [];
    stub = await startConsoleStub({
      answers: { '/v1/ping': () => ({ available: true }), '/v1/desired_lrps': () => listing, '/v1/actual_lrps': () => [], '/v1/tasks': () => [] },
      events: (request, response, n) => {
        resumedFrom.push(request.headers['last-event-id'] as string | undefined);
        if (n === 2) {
          // the events after 1 are gone: the page must list again
          response.writeHead(410, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { type: 'ResourceNotFound', message: 'invalid field: Last-Event-ID: not kept' } }));
          return;
        }
        openEventStream(response);
        if (n === 0) {
          response.write(sseFrame(0, 'desired_lrp_created', { desired_lrp: lrp('b') }));
          // dropped mid-stream after id 1
          response.write(sseFrame(1, 'desired_lrp_created', { desired_lrp: lrp('c') }), () => setTimeout(() => response.destroy(), 300));
        }
        if (n === 1) response.write(sseFrame(2, 'desired_lrp_removed', { desired_lrp: lrp('c') }), () => setTimeout(() => response.destroy(), 300));
      },
    });
    const page = await chromium.page();
    await page.goto(`${stub.url}/#/lrps`);
    await eventually(async () => expect(await shownLrps(page)).to.deep.equal(['a', 'b', 'c']), { timeout: 10_000, interval: 50 });
    // the second connection resumes after 1 and gets the removal of c
    listing = [lrp('a'), lrp('d')];
    await eventually(async () => expect(resumedFrom.length).to.be.at.least(4), { timeout: 15_000, interval: 50 });
    expect(resumedFrom.slice(0, 4)).to.deep.equal([undefined, '1', '2', undefined]);
    // after the 410 it listed again: b and c are gone (it never saw b's removal), d came
    await eventually(async () => expect(await shownLrps(page)).to.deep.equal(['a', 'd']), { timeout: 10_000, interval: 50 });
    expect(stub.calls.get('/v1/desired_lrps')).to.equal(2);
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });

  it('10 000 LRPs: only the rows in view are in the page, scrolling reaches the last, filters narrow them', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...lrp(`app-${String(i).padStart(5, '0')}`), domain: `domain-${i % 4}` }));
    stub = await startConsoleStub({ answers: { '/v1/ping': () => ({ available: true }), '/v1/desired_lrps': () => many, '/v1/actual_lrps': () => [], '/v1/tasks': () => [] } });
    const page = await chromium.page();
    await page.goto(`${stub.url}/#/lrps`);
    const list = page.getByTestId('lrps');
    await page.locator('[data-testid=lrps][data-rows="10000"]').waitFor();
    const inPage = async () => page.getByTestId('lrp-row').count();
    expect(await inPage()).to.be.within(10, 100);
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-testid=lrp-row][data-guid=app-09999]').waitFor();
    expect(await inPage()).to.be.within(10, 100);
    await page.getByTestId('domain-filter').selectOption('domain-3');
    await page.locator('[data-testid=lrps][data-rows="2500"]').waitFor();
    await page.getByTestId('lrp-filter').fill('app-0999');
    // app-09990..app-09999 whose index % 4 == 3: 09991, 09995, 09999
    await page.locator('[data-testid=lrps][data-rows="3"]').waitFor();
    expect(await shownLrps(page)).to.deep.equal(['app-09991', 'app-09995', 'app-09999']);
    expect(page.errors).to.deep.equal([]);
    await page.close();
  });
});
