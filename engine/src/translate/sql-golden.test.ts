/**
 * The translator's golden SQL (../../test/sql-golden/): each case's statement and parameters,
 * generated without a database, must equal its reviewed file. After a deliberate change to the
 * SQL, `UPDATE_GOLDEN=1 npm test -- --project engine-unit engine/src/translate/sql-golden.test.ts`
 * rewrites the files; review their diff.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CASES_DIR,
  caseFile,
  generate,
  GOLDEN_CASES,
  render,
} from '../../test/sql-golden/generate.ts';

const update = process.env.UPDATE_GOLDEN === '1';

describe('SQL golden cases', () => {
  if (update) fs.mkdirSync(CASES_DIR, { recursive: true });

  it('has a reviewed file for every case and no file without a case', () => {
    const files = fs.existsSync(CASES_DIR) ? fs.readdirSync(CASES_DIR).sort() : [];
    expect(files).toEqual(GOLDEN_CASES.map((c) => `${c.name}.sql`).sort());
  });

  for (const c of GOLDEN_CASES) {
    it(`${c.name}: ${c.about}`, () => {
      const text = render(c, generate(c));
      if (update) fs.writeFileSync(caseFile(c), text);
      expect(text).toBe(fs.readFileSync(caseFile(c), 'utf8'));
      expect(text).toMatch(/;\n-- parameters: /);
    });
  }
});
