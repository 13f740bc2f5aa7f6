// The claim lead follows the slowest recent claim, with a margin, within its bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimLead, MAX_LEAD_MS, MIN_LEAD_MS } from '../../../src/schedule/claim-lead.js';

describe('claim lead', () => {
  it('stays at its minimum while claims are quick', () => {
    const lead = new ClaimLead();
    assert.equal(lead.ms, MIN_LEAD_MS);
    for (let i = 0; i < 100; i++) lead.record(20 + (i % 7));
    assert.equal(lead.ms, MIN_LEAD_MS);
  });

  it('grows with a slow claim (x1.5), and shrinks once 32 quicker ones followed', () => {
    const lead = new ClaimLead();
    lead.record(230); // 10,000 slots on a slower machine
    assert.equal(lead.ms, 345);
    for (let i = 0; i < 31; i++) lead.record(100);
    assert.equal(lead.ms, 345, 'the slow claim is still among the last 32');
    lead.record(100);
    assert.equal(lead.ms, MIN_LEAD_MS);
  });

  it('never exceeds its maximum', () => {
    const lead = new ClaimLead();
    lead.record(60_000); // a stalled database
    assert.equal(lead.ms, MAX_LEAD_MS);
  });
});
