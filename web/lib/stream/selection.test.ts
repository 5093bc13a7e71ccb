import { describe, expect, it } from 'vitest';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { parseSelection, selectionQuery } from './selection';

const stream = {
  name: 's',
  timeField: 'ts',
  entityField: 'entity_id',
  metrics: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
} as unknown as DiscoveredStream;

describe('Web > Stream > selection', () => {
  it('should default to the first entity, two metrics and 5 minutes', () => {
    expect(parseSelection(stream, {}, ['7', '8'])).toEqual({
      entity: '7',
      metrics: ['a', 'b'],
      window: '5m',
    });
  });

  it('should read a selection back from its query string, ignoring unknown metrics', () => {
    const s = parseSelection(stream, { entity: '8', metrics: 'c,zz,c', window: '24h' }, ['7', '8']);
    expect(s).toEqual({ entity: '8', metrics: ['c'], window: '24h' });
    expect(selectionQuery(s)).toBe('entity=8&metrics=c&window=24h');
  });

  it('should refuse an entity id that is not a number', () => {
    expect(parseSelection(stream, { entity: '1 or 1=1' }, ['7']).entity).toBe('7');
  });
});
