/**
 * Event triggers checked against the resolved source when metadata is built, as Hasura's
 * buildEventTriggerInfo does: the columns a trigger listens to and sends must exist. A trigger
 * that fails is an inconsistent object; it is not delivered (its events wait) until fixed.
 */
import { readEventTriggerConf, type Columns } from './definitions.ts';

/** What is checked of the resolved source (schema/source.ts SourceInfo). */
interface ResolvedSource {
  name: string;
  tables: Map<
    string,
    {
      qn: { schema: string; name: string };
      meta: { event_triggers?: unknown };
      columnsByName: Map<string, unknown>;
    }
  >;
  inconsistencies: Array<{ type: string; name: string; reason: string; definition: unknown }>;
}

const named = (c: Columns | undefined): string[] => (Array.isArray(c) ? c : []);

export function validateEventTriggers(info: ResolvedSource): void {
  for (const t of info.tables.values()) {
    for (const raw of (t.meta.event_triggers as unknown[] | undefined) ?? []) {
      const name = (raw as { name?: unknown }).name;
      let problem: string | null = null;
      try {
        const conf = readEventTriggerConf(raw);
        for (const op of ['insert', 'update', 'delete'] as const) {
          const spec = conf.definition[op];
          for (const c of [...named(spec?.columns), ...named(spec?.payload)])
            if (!t.columnsByName.has(c)) problem ??= `column "${c}" does not exist`;
        }
      } catch (e) {
        problem = (e as Error).message;
      }
      if (problem === null) continue;
      info.inconsistencies.push({
        type: 'event_trigger',
        name: `event_trigger ${String(name)} in table ${t.qn.schema}.${t.qn.name} in source ${info.name}`,
        reason: `Inconsistent object: in table "${t.qn.schema}.${t.qn.name}": in event trigger "${String(name)}": ${problem}`,
        definition: raw,
      });
    }
  }
}
