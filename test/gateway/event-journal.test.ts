import { expect } from 'chai';
import { EventHub } from '../../src/actors/event-hub.js';
import { EventJournal, type JournalEntry } from '../../src/gateway/event-journal.js';
import { Events } from '../../src/models/events.js';

const publish = (hub: EventHub, n: number) => {
  for (let i = 0; i < n; i++) hub.publish(Events.cellDisappeared(`c${i}`));
};

describe('EventJournal', () => {
  it('numbers events from 0 and gives every listener the same entry', () => {
    const hub = new EventHub();
    const journal = new EventJournal(hub, { keepEvents: 10, keepBytes: 1 << 20 });
    const a: JournalEntry[] = [];
    const b: JournalEntry[] = [];
    journal.subscribe((e) => a.push(e));
    publish(hub, 2);
    journal.subscribe((e) => b.push(e));
    publish(hub, 1);
    expect(a.map((e) => e.id)).to.deep.equal([0, 1, 2]);
    expect(b.map((e) => e.id)).to.deep.equal([2]);
    expect(b[0]).to.equal(a[2]);
    expect(a[0]!.text).to.equal('id: 0\nevent: cell_disappeared\ndata: {"cell_id":"c0"}\n\n');
  });

  it('replays the kept events after an id, and reports a gap when some are gone or the id is unknown', () => {
    const hub = new EventHub();
    const journal = new EventJournal(hub, { keepEvents: 3, keepBytes: 1 << 20 });
    publish(hub, 5); // ids 0..4, kept 2..4
    const got: number[] = [];
    expect(journal.gapAfter(1)).to.equal(undefined);
    journal.subscribe((e) => got.push(e.id), 1);
    expect(got).to.deep.equal([2, 3, 4]);
    expect(journal.gapAfter(4)).to.equal(undefined); // nothing missed
    expect(journal.gapAfter(0)).to.deep.equal({ after: 0, oldest: 2, next: 5 });
    expect(journal.gapAfter(5)).to.deep.equal({ after: 5, oldest: 2, next: 5 });
    expect(() => journal.subscribe(() => {}, 0)).to.throw('events after 0 are not kept');
  });

  it('keeps no more bytes than asked (at least the newest event)', () => {
    const hub = new EventHub();
    const journal = new EventJournal(hub, { keepEvents: 100, keepBytes: 1 });
    publish(hub, 3);
    expect(journal.gapAfter(1)).to.equal(undefined);
    expect(journal.gapAfter(0)).to.deep.include({ oldest: 2 });
  });

  it('drops and reports a listener that throws, without breaking the publisher or the others', () => {
    const hub = new EventHub();
    const errors: unknown[] = [];
    const journal = new EventJournal(hub, { keepEvents: 0, keepBytes: 0, onListenerError: (e) => errors.push(e) });
    const got: number[] = [];
    journal.subscribe(() => {
      throw new Error('boom');
    });
    journal.subscribe((e) => got.push(e.id));
    publish(hub, 2);
    expect(errors).to.have.length(1);
    expect(got).to.deep.equal([0, 1]);
    expect(journal.subscriberCount).to.equal(1);
  });

  it('dispose stops reading the hub', () => {
    const hub = new EventHub();
    const journal = new EventJournal(hub, { keepEvents: 10, keepBytes: 1 << 20 });
    const unsubscribe = journal.subscribe(() => {});
    unsubscribe();
    expect(journal.subscriberCount).to.equal(0);
    journal.dispose();
    publish(hub, 1);
    expect(journal.nextId).to.equal(0);
  });
});
