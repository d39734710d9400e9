import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import type { TestLms } from '../support/env.js';
import { assertSameRows, expectedRows } from '../support/expected.js';
import type { TaggingSchema } from '../support/lms-schema.js';
import { fillTags } from '../support/tag-fixture.js';
import { cliEnv, jsonSummary, lmsWith } from '../support/scenario.js';

const TAG_OBJECTS = ['taxonomy', 'tag', 'object_tag'];
const OBJECT_IDS = [
  'course-v1:OpenedX+DemoX+DemoCourse', 'course-v1:edX+CS101+2024_T1', 'course-v1:Org_é+Ünï+run1',
  'block-v1:OpenedX+DemoX+DemoCourse+type@problem+block@a0effb954cca4759994f1ac9e9434bf4',
  'block-v1:OpenedX+DemoX+DemoCourse+type@video+block@0b9e39477cf34507a7a48f74be381fdd',
  'lb:OpenedX:lib1:html:intro', 'course-v1:CaseTest+X+1', 'course-v1:casetest+x+1',
];

function taggedLms(schema: TaggingSchema): Promise<TestLms> {
  return lmsWith((db) => fillTags(db, schema, OBJECT_IDS), { tagging: schema });
}

for (const schema of ['newest', 'legacy'] as const) {
  describe(`tag objects (${schema} openedx-core schema)`, () => {
    let lms: TestLms;
    let sink: TestEventSink;
    before(async () => {
      lms = await taggedLms(schema);
      sink = await createTestEventSink();
    });
    after(async () => {
      await sink.drop();
      await lms.drop();
    });

    const dump = (...args: string[]) =>
      runAspects(['dump', '--object', 'taxonomy', 'tag', 'object_tag', '--sleep-time', '0', '--batch-size', '7', '--json', ...args], cliEnv(lms, sink));

    it('writes every taxonomy, tag and object tag with its lineage, field for field', async () => {
      const result = await dump();
      assert.equal(result.code, 0, result.stderr);
      for (const object of TAG_OBJECTS) {
        assertSameRows(await sink.rows(`SELECT * FROM ${sink.database}.${object}`), await expectedRows(lms.db, object), 'id');
      }
    });

    it('writes the contract\'s exact strings: negative ids, root parent 0, escaped lineage, free text', async () => {
      const [languages] = await sink.rows(`SELECT name FROM ${sink.database}.taxonomy WHERE id = -1`);
      assert.equal(languages?.name, 'Languages');
      const [deepest] = await sink.rows(`SELECT parent, lineage FROM ${sink.database}.tag WHERE id = 606`);
      assert.equal(deepest?.parent, 605);
      assert.equal(deepest?.lineage, '["Level 0 \\u2713", "Level 1 \\u00abquoted\\u00bb", "Level 2, with comma", "Level 3 \'single\'", "Level 4 \\ud83d\\ude00", "Level 5 deepest"]');
      const [root] = await sink.rows(`SELECT parent, lineage FROM ${sink.database}.tag WHERE id = 2`);
      assert.deepEqual(root, { parent: 0, lineage: '["Percussion \\\\ drums"]' });
      const freeText = await sink.rows(`SELECT tag, lineage FROM ${sink.database}.object_tag WHERE _export_id = '3-notes' ORDER BY id LIMIT 1`);
      assert.deepEqual(freeText, [{ tag: 0, lineage: '["note \\"0\\" \\u270e"]' }]);
      const orphans = await sink.rows(`SELECT taxonomy, tag FROM ${sink.database}.object_tag WHERE _value = 'orphan value'`);
      assert.ok(orphans.length > 0 && orphans.every((row) => row.taxonomy === 0 && row.tag === 0));
    });

    it('a second run writes nothing', async () => {
      const result = await dump();
      assert.equal(result.code, 0, result.stderr);
      for (const object of jsonSummary(result).objects) assert.equal(object.rows_written, 0, String(object.object));
    });
  });
}

describe('renaming a tag re-dumps exactly the tags and object tags whose lineage changed', () => {
  it('rewrites the renamed tag, its descendants and the object tags on them', async () => {
    const lms = await taggedLms('newest');
    const sink = await createTestEventSink();
    try {
      const env = cliEnv(lms, sink);
      const args = ['dump', '--object', 'tag', 'object_tag', '--sleep-time', '0', '--json'];
      assert.equal((await runAspects(args, env)).code, 0);
      await lms.db.query("UPDATE oel_tagging_tag SET value = 'Brass section', lineage = 'Wind instruments\\tBrass section\\t' WHERE id = 11");
      await lms.db.query("UPDATE oel_tagging_tag SET lineage = REPLACE(lineage, '\\tBrass\\t', '\\tBrass section\\t') WHERE parent_id = 11");
      const result = await runAspects(args, env);
      assert.equal(result.code, 0, result.stderr);
      const [tags, objectTags] = jsonSummary(result).objects;
      assert.equal(tags?.rows_written, 3);
      const [[{ n }]] = await lms.db.query('SELECT COUNT(*) AS n FROM oel_tagging_objecttag WHERE tag_id IN (11, 111, 112)') as unknown as [[{ n: number }]];
      assert.equal(objectTags?.rows_written, Number(n));
      const latest = (table: string) => sink.rows(`SELECT * FROM ${sink.database}.${table} WHERE (id, time_last_dumped) IN (SELECT id, max(time_last_dumped) FROM ${sink.database}.${table} GROUP BY id)`);
      assertSameRows(await latest('tag'), await expectedRows(lms.db, 'tag'), 'id');
      assertSameRows(await latest('object_tag'), await expectedRows(lms.db, 'object_tag'), 'id');
    } finally {
      await sink.drop();
      await lms.drop();
    }
  });
});
