/**
 * event_sink tables for the Debian ClickHouse 18.16 test server. That server has no Bool,
 * LowCardinality or PRIMARY KEY clause, so Bool and LowCardinality(String) columns are
 * String here (True/False are stored as written). Otherwise names, order, engines and
 * partitioning follow the contract §1. user_profile deliberately keeps the physical order it
 * had before migrations 0031/0040 (username and email last), to prove inserts name columns.
 */
export function eventSinkTables(database: string): string[] {
  return [
    `CREATE TABLE ${database}.course_overviews (
      org String, course_key String, display_name String, course_start String, course_end String,
      enrollment_start String, enrollment_end String, self_paced String, course_data_json String,
      created String, modified String, dump_id UUID, time_last_dumped String
    ) ENGINE = MergeTree ORDER BY (org, course_key, modified, time_last_dumped)`,
    `CREATE TABLE ${database}.course_blocks (
      org String, course_key String, location String, display_name String, xblock_data_json String,
      \`order\` Int32 DEFAULT 0, edited_on String, dump_id UUID, time_last_dumped String
    ) ENGINE = MergeTree ORDER BY (org, course_key, location, edited_on, \`order\`)`,
    `CREATE TABLE ${database}.user_profile (
      id Int32, user_id Int32, name String, meta String, courseware String, language String,
      location String, year_of_birth String, gender String, level_of_education String,
      mailing_address String, city String, country String, state String, goals String, bio String,
      profile_image_uploaded_at String, phone_number String, dump_id UUID, time_last_dumped String,
      email String DEFAULT '', username String DEFAULT ''
    ) ENGINE = ReplacingMergeTree PARTITION BY user_id % 100 ORDER BY (id, time_last_dumped)`,
    `CREATE TABLE ${database}.external_id (
      external_user_id UUID, external_id_type String, username String, user_id Int32,
      dump_id UUID, time_last_dumped String
    ) ENGINE = ReplacingMergeTree PARTITION BY user_id % 100 ORDER BY (external_user_id, time_last_dumped)`,
    `CREATE TABLE ${database}.course_enrollment (
      id Int32, course_key String, created String, is_active String, mode String, username String,
      user_id Int32, dump_id UUID, time_last_dumped String
    ) ENGINE = MergeTree ORDER BY (course_key, user_id, time_last_dumped)`,
    `CREATE TABLE ${database}.tag (
      id Int32, taxonomy Int32, parent Int32, value String, external_id String, lineage String,
      dump_id UUID, time_last_dumped String
    ) ENGINE = ReplacingMergeTree ORDER BY (id, time_last_dumped)`,
    `CREATE TABLE ${database}.taxonomy (
      id Int32, name String, dump_id UUID, time_last_dumped String
    ) ENGINE = ReplacingMergeTree ORDER BY (id, time_last_dumped)`,
    `CREATE TABLE ${database}.object_tag (
      id Int32, object_id String, taxonomy Int32, tag Int32, _value String, _export_id String, lineage String,
      dump_id UUID, time_last_dumped String
    ) ENGINE = ReplacingMergeTree ORDER BY (id, time_last_dumped)`,
  ];
}
