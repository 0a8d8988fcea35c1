import { describe, expect, it } from 'vitest';
import { setCondition } from '../../protocol/conditions.js';

describe('setCondition', () => {
  it('adds a missing condition with lastTransitionTime now', () => {
    expect(setCondition(undefined, { type: 'Ready', status: 'True' }, 'T1')).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: 'T1' }]);
  });

  it('keeps lastTransitionTime while the status stays, moves it when it changes', () => {
    const start = setCondition([], { type: 'Ready', status: 'True', lastHeartbeatTime: 'T1' }, 'T1');
    const same = setCondition(start, { type: 'Ready', status: 'True', lastHeartbeatTime: 'T2' }, 'T2');
    expect(same[0]).toMatchObject({ lastTransitionTime: 'T1', lastHeartbeatTime: 'T2' });
    const changed = setCondition(same, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }, 'T3');
    expect(changed[0]).toMatchObject({ status: 'Unknown', lastTransitionTime: 'T3', lastHeartbeatTime: 'T2', reason: 'NodeStatusUnknown' });
  });

  it('leaves other conditions alone and does not mutate its input', () => {
    const input = [
      { type: 'MemoryPressure', status: 'False' as const },
      { type: 'Ready', status: 'True' as const, lastTransitionTime: 'T0' },
    ];
    const out = setCondition(input, { type: 'Ready', status: 'Unknown' }, 'T1');
    expect(out[0]).toBe(input[0]);
    expect(input[1]!.status).toBe('True');
    expect(out[1]).toMatchObject({ status: 'Unknown', lastTransitionTime: 'T1' });
  });
});
