import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEventSink, type TestEventSink } from '../support/clickhouse.js';
import { runAspects } from '../support/cli.js';
import { fillCourses, fillOutlines, outlineSpec, type OutlineSpec } from '../support/course-fixture.js';
import { createTestLms, type TestLms } from '../support/env.js';
import { cliEnv, jsonSummary } from '../support/scenario.js';
import { freePort } from '../support/servers.js';

/** The course_blocks rows the contract expects for an outline (hand-computed numbering). */
function expectedBlocks(spec: OutlineSpec): Record<string, string | number>[] {
  const [, org = '', course = '', run = ''] = /^course-v1:([^+]+)\+([^+]+)\+([^+]+)$/.exec(spec.courseKey) ?? [];
  const location = (type: string, id: string) => `block-v1:${org}+${course}+${run}+type@${type}+block@${id}`;
  const json = (type: string, mode: string, section: number, subsection: number) =>
    `{"course": "${course}", "run": "${run}", "block_type": "${type}", "detached": 0, "graded": 0, "completion_mode": "${mode}", "section": ${section}, "subsection": ${subsection}, "unit": 0, "tags": []}`;
  const rows = [{ location: location('course', 'course'), display_name: spec.title, xblock_data_json: json('course', 'aggregator', 0, 0) }];
  spec.chapters.forEach((chapter, c) => {
    rows.push({ location: location('chapter', chapter.id), display_name: chapter.title, xblock_data_json: json('chapter', 'aggregator', c + 1, 0) });
    chapter.sequentials.forEach((sequential, s) => {
      rows.push({ location: location('sequential', sequential.id), display_name: sequential.title, xblock_data_json: json('sequential', 'aggregator', c + 1, s + 1) });
    });
  });
  return rows.map((row, index) => ({ org, course_key: spec.courseKey, ...row, order: index + 1, edited_on: '' }));
}

/** Adds a sequential at the end of a chapter's outline, and stamps the context as the outline task's save does. */
async function appendSequential(lms: TestLms, courseKey: string, chapterId: string, id: string, title: string): Promise<void> {
  const usage = (type: string, block: string) => `block-v1:${courseKey.slice('course-v1:'.length)}+type@${type}+block@${block}`;
  const [[context]] = await lms.db.query('SELECT id FROM learning_sequences_learningcontext WHERE context_key = ?', [courseKey]) as unknown as [[{ id: number }]];
  const [[section]] = await lms.db.query('SELECT id FROM learning_sequences_coursesection WHERE usage_key = ?', [usage('chapter', chapterId)]) as unknown as [[{ id: number }]];
  const [sequence] = await lms.db.query('INSERT INTO learning_sequences_learningsequence (created, modified, learning_context_id, usage_key, title) VALUES (UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?, ?)',
    [context.id, usage('sequential', id), title]) as unknown as [{ insertId: number }];
  await lms.db.query(`INSERT INTO learning_sequences_coursesectionsequence (created, modified, hide_from_toc, visible_to_staff_only, course_context_id, section_id, sequence_id, inaccessible_after_due, ordering)
    SELECT UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 0, 0, ?, ?, ?, 0, MAX(ordering) + 1 FROM learning_sequences_coursesectionsequence WHERE course_context_id = ?`, [context.id, section.id, sequence.insertId, context.id]);
  await lms.db.query("UPDATE learning_sequences_learningcontext SET modified = UTC_TIMESTAMP(6), published_version = '65f1a2b3c4d5e6f708192a3c' WHERE id = ?", [context.id]);
}

describe('course_blocks from the learning_sequences outline, written with their course', () => {
  let lms: TestLms;
  let sink: TestEventSink;
  let specs: OutlineSpec[];
  before(async () => {
    lms = await createTestLms();
    await fillCourses(lms.db, 9);
    // Course 7 has an old-style key: it has no outline and gets no blocks.
    specs = [1, 2, 3, 4, 5, 6, 8, 9].map(outlineSpec);
    await fillOutlines(lms.db, specs);
    sink = await createTestEventSink();
  });
  after(async () => {
    await sink.drop();
    await lms.drop();
  });

  const dump = () => runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--batch-size', '7', '--json'], cliEnv(lms, sink));
  const blocks = () => sink.rows(`SELECT * FROM ${sink.database}.course_blocks ORDER BY course_key, \`order\``);

  it('writes every outline block, numbered, with its course row\'s dump_id and time_last_dumped', async () => {
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    const expected = specs.flatMap(expectedBlocks);
    assert.equal(jsonSummary(result).objects[0]?.child_rows_written && (jsonSummary(result).objects[0]?.child_rows_written as Record<string, number>).course_blocks, expected.length);
    const stored = await blocks();
    const courses = new Map((await sink.rows(`SELECT course_key, dump_id, time_last_dumped FROM ${sink.database}.course_overviews`))
      .map((row) => [row.course_key, row]));
    const byLocation = new Map(stored.map((row) => [row.location, row]));
    assert.equal(stored.length, expected.length);
    for (const want of expected) {
      const row = byLocation.get(want.location) as Record<string, unknown>;
      assert.ok(row, String(want.location));
      for (const [column, value] of Object.entries(want)) assert.equal(row[column], value, `${String(want.location)} ${column}`);
      const course = courses.get(want.course_key) as Record<string, unknown>;
      assert.equal(row.dump_id, course.dump_id);
      assert.equal(row.time_last_dumped, course.time_last_dumped);
    }
  });

  it('a second run writes no blocks; a re-published course brings its blocks again', async () => {
    const unchanged = await dump();
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.deepEqual(jsonSummary(unchanged).objects[0]?.child_rows_written, {});
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const spec = specs[2] as OutlineSpec;
    await lms.db.query('UPDATE course_overviews_courseoverview SET modified = UTC_TIMESTAMP(6) WHERE id = ?', [spec.courseKey]);
    const republished = await dump();
    assert.equal(republished.code, 0, republished.stderr);
    assert.deepEqual(jsonSummary(republished).objects[0]?.child_rows_written, { course_blocks: expectedBlocks(spec).length });
    const rows = await sink.rows(`SELECT count() AS n, uniqExact(dump_id) AS dumps FROM ${sink.database}.course_blocks WHERE course_key = '${spec.courseKey}'`);
    assert.deepEqual(rows, [{ n: String(2 * expectedBlocks(spec).length), dumps: String(2) }]);
  });

  it('an outline stored after the course\'s last dump (Celery builds it after the publish) brings the course and its new blocks, its overview unchanged', async () => {
    const spec = specs[4] as OutlineSpec;
    const last = spec.chapters[spec.chapters.length - 1] as OutlineSpec['chapters'][number];
    const rebuilt: OutlineSpec = { ...spec, chapters: [...spec.chapters.slice(0, -1), { ...last, sequentials: [...last.sequentials, { id: 'seq_added', title: 'Added after the dump' }]}] };
    await appendSequential(lms, spec.courseKey, `chapter_${spec.chapters.length}`, 'seq_added', 'Added after the dump');
    const status = await runAspects(['status', '--object', 'course_overviews', '--json'], cliEnv(lms, sink));
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).objects[0].to_redump, 1, 'status counts the course the dump re-dumps');
    const result = await dump();
    assert.equal(result.code, 0, result.stderr);
    const object = jsonSummary(result).objects[0];
    assert.equal(object?.rows_written, 1);
    assert.deepEqual(object?.child_rows_written, { course_blocks: expectedBlocks(rebuilt).length });
    const newest = await sink.rows(`SELECT location, display_name, \`order\` FROM ${sink.database}.course_blocks WHERE course_key = '${spec.courseKey}'
      AND time_last_dumped = (SELECT max(time_last_dumped) FROM ${sink.database}.course_overviews WHERE course_key = '${spec.courseKey}') ORDER BY \`order\``);
    assert.deepEqual(newest, expectedBlocks(rebuilt).map(({ location, display_name, order }) => ({ location, display_name, order })));
    const again = await dump();
    assert.equal(jsonSummary(again).objects[0]?.rows_written, 0);
  });
});

describe('course_blocks from the split modulestore', () => {
  it('an unreachable MongoDB stops the run before any course row is written (no course without its blocks)', async () => {
    const lms = await createTestLms();
    const sink = await createTestEventSink();
    try {
      const keys = await fillCourses(lms.db, 3);
      await lms.db.query(`INSERT INTO split_modulestore_django_splitmodulestorecourseindex
        (objectid, course_id, org, draft_version, published_version, library_version, wiki_slug, base_store, edited_on, last_update)
        VALUES ?`, [keys.map((key, i) => [`65f1a2b3c4d5e6f70819200${i}`, key, 'org', '', `65f1a2b3c4d5e6f70819300${i}`, '', key, 'mongodb', '2024-01-01', '2024-01-01'])]);
      const port = await freePort();
      const secret = 'mongo-Pa55';
      const result = await runAspects(['dump', '--object', 'course_overviews', '--sleep-time', '0', '--retries', '0',
        '--modulestore-url', `mongodb://reader:${secret}@127.0.0.1:${port}/openedx`], cliEnv(lms, sink));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /aspects: course_overviews failed: .*nothing of course_overviews was written; run the same command again/);
      assert.ok(!result.stderr.includes(secret));
      assert.equal(await sink.count('course_overviews'), 0);
      assert.equal(await sink.count('course_blocks'), 0);
    } finally {
      await sink.drop();
      await lms.drop();
    }
  });
});
