/**
 * The event_sink tables exactly as Tutor's alembic migrations leave them (contract §1, no cluster):
 * column order and types, engines, partitioning and keys. Used on the embedded modern ClickHouse
 * (chdb) to prove the rows fit the real schema.
 */
export function aspectsTables(database: string): Record<string, string> {
  return {
    course_overviews: `CREATE TABLE ${database}.course_overviews (
      org String NOT NULL, course_key String NOT NULL, display_name String NOT NULL,
      course_start String NOT NULL, course_end String NOT NULL, enrollment_start String NOT NULL,
      enrollment_end String NOT NULL, self_paced Bool NOT NULL, course_data_json String NOT NULL,
      created String NOT NULL, modified String NOT NULL, dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = MergeTree PRIMARY KEY (org, course_key, modified, time_last_dumped)
      ORDER BY (org, course_key, modified, time_last_dumped)`,
    course_blocks: `CREATE TABLE ${database}.course_blocks (
      org String NOT NULL, course_key String NOT NULL, location String NOT NULL, display_name String NOT NULL,
      xblock_data_json String NOT NULL, \`order\` Int32 DEFAULT 0, edited_on String NOT NULL,
      dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = MergeTree PRIMARY KEY (org, course_key, location, edited_on)
      ORDER BY (org, course_key, location, edited_on, \`order\`)`,
    user_profile: `CREATE TABLE ${database}.user_profile (
      id Int32 NOT NULL, user_id Int32 NOT NULL, name String NOT NULL, username String DEFAULT '',
      email String DEFAULT '', meta String NOT NULL, courseware String NOT NULL, language String NOT NULL,
      location String NOT NULL, year_of_birth String NOT NULL, gender String NOT NULL,
      level_of_education String NOT NULL, mailing_address String NOT NULL, city String NOT NULL,
      country String NOT NULL, state String NOT NULL, goals String NOT NULL, bio String NOT NULL,
      profile_image_uploaded_at String NOT NULL, phone_number String NOT NULL, dump_id UUID NOT NULL,
      time_last_dumped String NOT NULL
    ) ENGINE = ReplacingMergeTree PARTITION BY user_id MOD 100
      PRIMARY KEY (id, time_last_dumped) ORDER BY (id, time_last_dumped)`,
    external_id: `CREATE TABLE ${database}.external_id (
      external_user_id UUID NOT NULL, external_id_type String NOT NULL, username String NOT NULL,
      user_id Int32 NOT NULL, dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = ReplacingMergeTree PARTITION BY user_id MOD 100
      PRIMARY KEY (external_user_id, time_last_dumped) ORDER BY (external_user_id, time_last_dumped)`,
    course_enrollment: `CREATE TABLE ${database}.course_enrollment (
      id Int32 NOT NULL, course_key String NOT NULL, created String NOT NULL, is_active Bool NOT NULL,
      mode LowCardinality(String) NOT NULL, username String NOT NULL, user_id Int32 NOT NULL,
      dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = MergeTree PRIMARY KEY (course_key, user_id, time_last_dumped)
      ORDER BY (course_key, user_id, time_last_dumped)`,
    tag: `CREATE TABLE ${database}.tag (
      id Int32 NOT NULL, taxonomy Int32 NOT NULL, parent Int32, value String NOT NULL,
      external_id String, lineage String NOT NULL, dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = ReplacingMergeTree PRIMARY KEY (id, time_last_dumped) ORDER BY (id, time_last_dumped)`,
    taxonomy: `CREATE TABLE ${database}.taxonomy (
      id Int32 NOT NULL, name String NOT NULL, dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = ReplacingMergeTree PRIMARY KEY (id, time_last_dumped) ORDER BY (id, time_last_dumped)`,
    load_test_runs: `CREATE TABLE ${database}.load_test_runs (
      run_id String NOT NULL, timestamp DateTime DEFAULT now(), event_type String NOT NULL, extra String NOT NULL
    ) ENGINE = MergeTree PRIMARY KEY (run_id, timestamp) ORDER BY (run_id, timestamp) SETTINGS index_granularity = 8192`,
    load_test_stats: `CREATE TABLE ${database}.load_test_stats (
      run_id String NOT NULL, timestamp DateTime DEFAULT now(), stats String NOT NULL
    ) ENGINE = MergeTree PRIMARY KEY (run_id, timestamp) ORDER BY (run_id, timestamp) SETTINGS index_granularity = 8192`,
    object_tag: `CREATE TABLE ${database}.object_tag (
      id Int32 NOT NULL, object_id String NOT NULL, taxonomy Int32 NOT NULL, tag Int32, _value String NOT NULL,
      _export_id String NOT NULL, lineage String NOT NULL, dump_id UUID NOT NULL, time_last_dumped String NOT NULL
    ) ENGINE = ReplacingMergeTree PRIMARY KEY (id, time_last_dumped) ORDER BY (id, time_last_dumped)`,
  };
}
