import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { Events } from '../../src/models/events.js';
import { cfRoutes, normalizeHost, RouteTable } from '../../src/router/route-table.js';
import { buildActualLrp, buildDesiredLrp } from '../models/builders.js';

const routed = (guid: string, hostnames: string[], port = 8080) => buildDesiredLrp({ process_guid: guid, ports: [port], routes: { 'cf-router': [{ hostnames, port }] } });
const running = (guid: string, index: number, host_port: number, overrides: Partial<ActualLRP> = {}) =>
  buildActualLrp({ process_guid: guid, index, state: 'RUNNING', instance_guid: `${guid}-${index}`, address: '10.0.0.1', ports: [{ container_port: 8080, host_port }], ...overrides });
const ports = (table: RouteTable, host: string) => table.lookup(host)?.map((b) => b.host_port);

describe('route table', () => {
  it('normalizes Host headers: case, port, trailing dot, IPv6 brackets', () => {
    expect(normalizeHost('Web.Example:8080')).to.equal('web.example');
    expect(normalizeHost('web.example.')).to.equal('web.example');
    expect(normalizeHost('[::1]:80')).to.equal('::1');
    expect(normalizeHost('::1')).to.equal('::1');
  });

  it('reads only well-formed cf-router entries', () => {
    expect(cfRoutes({ 'cf-router': [{ hostnames: ['A.example', 'a.example', 7], port: 8080 }, { hostnames: 'x', port: 1 }, { hostnames: ['y'] }, null] })).to.deep.equal([{ hostnames: ['a.example'], port: 8080 }]);
    expect(cfRoutes({ 'tcp-router': [{ external_port: 1 }] })).to.deep.equal([]);
    expect(cfRoutes({})).to.deep.equal([]);
  });

  it('an unknown hostname is undefined; a known one with nothing running is empty', () => {
    const table = new RouteTable();
    table.apply(Events.desiredLrpCreated(routed('web', ['web.example'])));
    expect(table.lookup('other.example')).to.equal(undefined);
    expect(table.lookup('web.example')).to.deep.equal([]);
  });

  it('routes RUNNING instances to the host port mapped to the route port, matched case-insensitively', () => {
    const table = new RouteTable();
    table.load([routed('web', ['web.example'])], [running('web', 0, 61000), running('web', 1, 61001)]);
    expect(table.lookup('WEB.example:80')).to.deep.equal([
      { address: '10.0.0.1', host_port: 61000, process_guid: 'web', index: 0, instance_guid: 'web-0' },
      { address: '10.0.0.1', host_port: 61001, process_guid: 'web', index: 1, instance_guid: 'web-1' },
    ]);
  });

  it('skips rows that are not RUNNING, are marked unroutable, or lack the route port', () => {
    const table = new RouteTable();
    table.load([routed('web', ['web.example'])], [
      buildActualLrp({ process_guid: 'web', index: 0, state: 'CLAIMED' }),
      buildActualLrp({ process_guid: 'web', index: 1, state: 'CRASHED' }),
      running('web', 2, 61002, { routable: false }),
      running('web', 3, 61003, { ports: [{ container_port: 9090, host_port: 61003 }] }),
      running('web', 4, 61004, { routable: true }),
    ]);
    expect(ports(table, 'web.example')).to.deep.equal([61004]);
  });

  it('instances come and go with created, changed and removed events', () => {
    const table = new RouteTable();
    table.apply(Events.desiredLrpCreated(routed('web', ['web.example'])));
    const claimed = buildActualLrp({ process_guid: 'web', index: 0, state: 'CLAIMED' });
    table.apply(Events.actualLrpCreated(claimed));
    expect(ports(table, 'web.example')).to.deep.equal([]);
    const up = running('web', 0, 61000);
    table.apply(Events.actualLrpChanged(claimed, up));
    expect(ports(table, 'web.example')).to.deep.equal([61000]);
    const crashed = buildActualLrp({ process_guid: 'web', index: 0, state: 'CRASHED' });
    table.apply(Events.actualLrpChanged(up, crashed));
    expect(ports(table, 'web.example')).to.deep.equal([]);
    const again = running('web', 0, 61005, { instance_guid: 'second' });
    table.apply(Events.actualLrpChanged(crashed, again));
    expect(table.lookup('web.example')!.map((b) => b.instance_guid)).to.deep.equal(['second']);
    table.apply(Events.actualLrpRemoved(again));
    expect(ports(table, 'web.example')).to.deep.equal([]);
  });

  it('an EVACUATING or SUSPECT copy keeps serving beside its ORDINARY replacement until removed', () => {
    const table = new RouteTable();
    const old = running('web', 0, 61000);
    table.load([routed('web', ['web.example'])], [old]);
    const evacuating = { ...old, presence: 'EVACUATING' as const };
    table.apply(Events.actualLrpChanged(old, evacuating));
    const replacement = running('web', 0, 62000, { instance_guid: 'new' });
    table.apply(Events.actualLrpCreated(replacement));
    expect(ports(table, 'web.example')).to.deep.equal([62000, 61000]);
    table.apply(Events.actualLrpRemoved(evacuating));
    expect(ports(table, 'web.example')).to.deep.equal([62000]);
    const suspect = { ...replacement, presence: 'SUSPECT' as const };
    table.apply(Events.actualLrpChanged(replacement, suspect));
    expect(ports(table, 'web.example')).to.deep.equal([62000]);
  });

  it('two LRPs sharing a hostname both serve it; each keeps its own other hostnames', () => {
    const table = new RouteTable();
    table.load([routed('blue', ['app.example', 'blue.example']), routed('green', ['app.example'])], [running('blue', 0, 61000), running('green', 0, 62000)]);
    expect(ports(table, 'app.example')).to.deep.equal([61000, 62000]);
    expect(ports(table, 'blue.example')).to.deep.equal([61000]);
    table.apply(Events.desiredLrpRemoved(routed('blue', ['app.example', 'blue.example'])));
    expect(ports(table, 'app.example')).to.deep.equal([62000]);
    expect(table.lookup('blue.example')).to.equal(undefined);
  });

  it('removing the DesiredLRP drops its routes at once; a re-desired one starts empty', () => {
    const table = new RouteTable();
    const web = routed('web', ['web.example']);
    table.load([web], [running('web', 0, 61000)]);
    table.apply(Events.desiredLrpRemoved(web));
    expect(table.lookup('web.example')).to.equal(undefined);
    expect(table.hostnames()).to.deep.equal([]);
    table.apply(Events.desiredLrpCreated(web));
    expect(ports(table, 'web.example')).to.deep.equal([]);
  });

  it('changing routes moves the running instances to the new hostname and port', () => {
    const table = new RouteTable();
    const before = routed('web', ['old.example']);
    const instance = running('web', 0, 61000, { ports: [{ container_port: 8080, host_port: 61000 }, { container_port: 9090, host_port: 61001 }] });
    table.load([before], [instance]);
    const after = { ...before, routes: { 'cf-router': [{ hostnames: ['new.example'], port: 9090 }] } };
    table.apply(Events.desiredLrpChanged(before, after));
    expect(table.lookup('old.example')).to.equal(undefined);
    expect(ports(table, 'new.example')).to.deep.equal([61001]);
    table.apply(Events.desiredLrpChanged(after, { ...after, routes: {} }));
    expect(table.hostnames()).to.deep.equal([]);
  });

  it('rows seen before their DesiredLRP are routed once it arrives', () => {
    const table = new RouteTable();
    table.apply(Events.actualLrpCreated(running('web', 0, 61000)));
    expect(table.lookup('web.example')).to.equal(undefined);
    table.apply(Events.desiredLrpCreated(routed('web', ['web.example'])));
    expect(ports(table, 'web.example')).to.deep.equal([61000]);
  });

  it('replaying events older than a snapshot ends at the newest state', () => {
    const web = routed('web', ['web.example']);
    const a = running('web', 0, 61000);
    const b = running('web', 0, 61001, { instance_guid: 'b' });
    const history = [Events.desiredLrpCreated(web), Events.actualLrpCreated(a), Events.actualLrpChanged(a, b), Events.actualLrpCreated(running('web', 1, 61002)), Events.actualLrpRemoved(running('web', 1, 61002))];
    for (let cut = 0; cut <= history.length; cut++) {
      // the snapshot reflects the first `cut` events; all of them are replayed over it
      const live = new RouteTable();
      for (const e of history.slice(0, cut)) live.apply(e);
      const table = new RouteTable();
      table.load(cut > 0 ? [web] : [], cut === 0 ? [] : [...(live.lookup('web.example') ?? [])].map((x) => running('web', x.index, x.host_port, { instance_guid: x.instance_guid })));
      for (const e of history) table.apply(e);
      expect(ports(table, 'web.example'), `cut ${cut}`).to.deep.equal([61001]);
    }
  });
});
