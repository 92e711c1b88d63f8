/**
 * The console's live stream against a stand-in gateway that drops it on purpose: a dropped
 * stream reconnects with Last-Event-ID and misses nothing; a 410 (the missed events are no longer
 * kept) makes the page list everything again and follow afresh.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type HeadlessBrowser } from '../support/browser.js';
import { openEventStream, sseFrame, startConsoleStub, type ConsoleStub } from '../support/console-stub.js';
import { eventually } from '../support/eventually.js';

const lrp = (guid: string) => ({ process_guid: guid, domain: 'd', rootfs: 'preloaded:host', instances: 1, action: { run: { path: 'true', user: 'vcap' } } });

describe('the console follows a dropped event stream (Chromium, a stand-in gateway)', function () {
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
});
