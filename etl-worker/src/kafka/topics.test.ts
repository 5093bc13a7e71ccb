import { describe, expect, it } from 'vitest';
import { topicReplication } from './topics.ts';

describe('etl-worker > topic replication', () => {
  it('should replicate to every broker up to three, and ask two in sync only from three', () => {
    expect(topicReplication(1)).toEqual({ replicationFactor: 1, configEntries: [] });
    expect(topicReplication(2)).toEqual({ replicationFactor: 2, configEntries: [] });
    const three = {
      replicationFactor: 3,
      configEntries: [{ name: 'min.insync.replicas', value: '2' }],
    };
    expect(topicReplication(3)).toEqual(three);
    expect(topicReplication(7)).toEqual(three);
  });
});
