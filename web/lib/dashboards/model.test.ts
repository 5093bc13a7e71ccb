import { describe, expect, it } from 'vitest';
import { namedEntities, type EntitySelection, type PanelSpec } from './model';

const panel = (stream: string, entities: EntitySelection): PanelSpec => ({
  id: `${stream}-${JSON.stringify(entities)}`,
  dashboard_id: 'd',
  position: 0,
  title: 't',
  stream,
  metrics: ['temperature'],
  entities,
  bucket: 'auto',
  aggregate: 'avg',
  visualization: 'line',
  width: 6,
});

describe('namedEntities', () => {
  it('should name the entities of a stream whose panels all name theirs, once each', () => {
    expect(
      namedEntities([
        panel('sensor_readings', { mode: 'ids', ids: [1, 2] }),
        panel('sensor_readings', { mode: 'ids', ids: [2, 3] }),
      ]),
    ).toEqual({ sensor_readings: ['1', '2', '3'] });
  });

  it('should leave out a stream with a panel that picks its entities', () => {
    for (const picks of [
      { mode: 'all' },
      { mode: 'dashboard' },
      { mode: 'match', match: { site: 'a' } },
    ] as EntitySelection[]) {
      expect(
        namedEntities([
          panel('sensor_readings', { mode: 'ids', ids: [1] }),
          panel('sensor_readings', picks),
          panel('market_trades', { mode: 'ids', ids: [7] }),
        ]),
      ).toEqual({ market_trades: ['7'] });
    }
  });
});
