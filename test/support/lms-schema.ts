/**
 * Fixture DDL for the LMS tables the user objects read, mirroring the production DDL that
 * Django 5.2 generates (reference/lms-mysql-schema.md §1–§5): column order, types, NULLs,
 * unique keys, indexes and FK constraints without ON DELETE.
 */

/** How external_user_ids_externalid.external_user_id is stored. */
export type UuidStorage = 'char32' | 'native';

const AUTH_USER = `CREATE TABLE auth_user (
  id int NOT NULL AUTO_INCREMENT,
  password varchar(128) NOT NULL,
  last_login datetime(6) NULL,
  is_superuser tinyint(1) NOT NULL,
  username varchar(150) NOT NULL,
  first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL,
  email varchar(254) NOT NULL,
  is_staff tinyint(1) NOT NULL,
  is_active tinyint(1) NOT NULL,
  date_joined datetime(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

const AUTH_USERPROFILE = `CREATE TABLE auth_userprofile (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) NOT NULL,
  meta longtext NOT NULL,
  courseware varchar(255) NOT NULL,
  language varchar(255) NOT NULL,
  location varchar(255) NOT NULL,
  year_of_birth int NULL,
  gender varchar(6) NULL,
  level_of_education varchar(6) NULL,
  mailing_address longtext NULL,
  city longtext NULL,
  country varchar(2) NULL,
  goals longtext NULL,
  bio varchar(3000) NULL,
  profile_image_uploaded_at datetime(6) NULL,
  user_id int NOT NULL,
  phone_number varchar(50) NULL,
  state varchar(2) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY user_id (user_id),
  KEY auth_userprofile_name_50909f10 (name),
  KEY auth_userprofile_language_8948d814 (language),
  KEY auth_userprofile_location_ca92e4f6 (location),
  KEY auth_userprofile_year_of_birth_6d1a4bb6 (year_of_birth),
  KEY auth_userprofile_gender_44a122fb (gender),
  KEY auth_userprofile_level_of_education_93927e04 (level_of_education),
  CONSTRAINT auth_userprofile_user_id_62634b27_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

// student 0047 dropped the user_id FK constraint (the index stays).
const STUDENT_COURSEENROLLMENT = `CREATE TABLE student_courseenrollment (
  id int NOT NULL AUTO_INCREMENT,
  course_id varchar(255) NOT NULL,
  created datetime(6) NULL,
  is_active tinyint(1) NOT NULL,
  mode varchar(100) NOT NULL,
  user_id int NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY student_courseenrollment_user_id_course_id_5d34a47f_uniq (user_id, course_id),
  KEY student_courseenrollment_course_id_a6f93be8 (course_id),
  KEY student_courseenrollment_created_79829893 (created),
  KEY student_cou_user_id_b19dcd_idx (user_id, created DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

// django-simple-history's table (HistoricalRecords on CourseEnrollment): one row per save or delete.
const STUDENT_COURSEENROLLMENT_HISTORY = `CREATE TABLE student_courseenrollment_history (
  id int NOT NULL,
  created datetime(6) NULL,
  is_active tinyint(1) NOT NULL,
  mode varchar(100) NOT NULL,
  course_id varchar(255) NOT NULL,
  user_id int NOT NULL,
  history_id char(32) NOT NULL,
  history_date datetime(6) NOT NULL,
  history_change_reason varchar(100) NULL,
  history_type varchar(1) NOT NULL,
  history_user_id int NULL,
  PRIMARY KEY (history_id),
  KEY student_courseenrollment_history_id_idx (id),
  KEY student_courseenrollment_history_history_date_idx (history_date),
  KEY student_courseenrollment_history_user_idx (history_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

const EXTERNAL_ID_TYPE = `CREATE TABLE external_user_ids_externalidtype (
  id int NOT NULL AUTO_INCREMENT,
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  name varchar(32) NOT NULL,
  description longtext NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

function externalIdTable(storage: UuidStorage): string {
  const uuidType = storage === 'native' ? 'uuid' : 'char(32)';
  return `CREATE TABLE external_user_ids_externalid (
  id int NOT NULL AUTO_INCREMENT,
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  external_user_id ${uuidType} NOT NULL,
  external_id_type_id int NOT NULL,
  user_id int NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY external_user_id (external_user_id),
  UNIQUE KEY external_user_ids_externa_user_id_external_id_typ_1c2d0d6e_uniq (user_id, external_id_type_id),
  KEY external_user_ids_ex_external_id_type_id_4d8d8e8f_fk_external_ (external_id_type_id),
  CONSTRAINT external_user_ids_ex_external_id_type_id_4d8d8e8f_fk_external_ FOREIGN KEY (external_id_type_id) REFERENCES external_user_ids_externalidtype (id),
  CONSTRAINT external_user_ids_externalid_user_id_8a7b6c5d_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}

// Column order follows the reference's table; a real database's order depends on its migrations.
const COURSE_OVERVIEW = `CREATE TABLE course_overviews_courseoverview (
  created datetime(6) NOT NULL,
  modified datetime(6) NOT NULL,
  version int NOT NULL,
  id varchar(255) NOT NULL,
  _location varchar(255) NOT NULL,
  org longtext NOT NULL,
  display_name longtext NULL,
  display_number_with_default longtext NOT NULL,
  display_org_with_default longtext NOT NULL,
  start datetime(6) NULL,
  \`end\` datetime(6) NULL,
  start_date datetime(6) NULL,
  end_date datetime(6) NULL,
  advertised_start longtext NULL,
  announcement datetime(6) NULL,
  banner_image_url longtext NOT NULL,
  course_image_url longtext NOT NULL,
  social_sharing_url longtext NULL,
  end_of_course_survey_url longtext NULL,
  certificates_display_behavior longtext NULL,
  certificates_show_before_end tinyint(1) NOT NULL,
  cert_html_view_enabled tinyint(1) NOT NULL,
  has_any_active_web_certificate tinyint(1) NOT NULL,
  cert_name_short longtext NOT NULL,
  cert_name_long longtext NOT NULL,
  certificate_available_date datetime(6) NULL,
  lowest_passing_grade decimal(5,2) NULL,
  days_early_for_beta double NULL,
  mobile_available tinyint(1) NOT NULL,
  visible_to_staff_only tinyint(1) NOT NULL,
  _pre_requisite_courses_json longtext NOT NULL,
  enrollment_start datetime(6) NULL,
  enrollment_end datetime(6) NULL,
  enrollment_domain longtext NULL,
  invitation_only tinyint(1) NOT NULL,
  max_student_enrollments_allowed int NULL,
  catalog_visibility longtext NULL,
  short_description longtext NULL,
  course_video_url longtext NULL,
  effort longtext NULL,
  self_paced tinyint(1) NOT NULL,
  marketing_url longtext NULL,
  eligible_for_financial_aid tinyint(1) NOT NULL,
  has_highlights tinyint(1) NULL,
  enable_proctored_exams tinyint(1) NOT NULL,
  proctoring_provider longtext NULL,
  proctoring_escalation_email longtext NULL,
  allow_proctoring_opt_out tinyint(1) NOT NULL,
  entrance_exam_enabled tinyint(1) NOT NULL,
  entrance_exam_id varchar(255) NOT NULL,
  entrance_exam_minimum_score_pct double NOT NULL,
  force_on_flexible_peer_openassessments tinyint(1) NOT NULL,
  external_id varchar(128) NULL,
  language longtext NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

const LEARNING_SEQUENCES = [
  `CREATE TABLE learning_sequences_learningcontext (
  id bigint NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  context_key varchar(255) NOT NULL, title varchar(255) NULL, published_at datetime(6) NOT NULL,
  published_version varchar(255) NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY context_key (context_key), KEY learning_sequences_learningcontext_title (title),
  KEY learning_sequences_learningcontext_published_at (published_at DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE learning_sequences_coursecontext (
  learning_context_id bigint NOT NULL, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  course_visibility varchar(32) NOT NULL, days_early_for_beta int NULL, self_paced tinyint(1) NOT NULL,
  entrance_exam_id varchar(255) NULL,
  PRIMARY KEY (learning_context_id),
  CONSTRAINT ls_coursecontext_learning_context_fk FOREIGN KEY (learning_context_id) REFERENCES learning_sequences_learningcontext (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE learning_sequences_learningsequence (
  id bigint NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  learning_context_id bigint NOT NULL, usage_key varchar(255) NOT NULL, title varchar(1000) NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY ls_learningsequence_context_usage_key (learning_context_id, usage_key),
  CONSTRAINT ls_learningsequence_context_fk FOREIGN KEY (learning_context_id) REFERENCES learning_sequences_learningcontext (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE learning_sequences_coursesection (
  id bigint NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  hide_from_toc tinyint(1) NOT NULL, visible_to_staff_only tinyint(1) NOT NULL, course_context_id bigint NOT NULL,
  usage_key varchar(255) NOT NULL, title varchar(1000) NOT NULL, ordering int unsigned NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY ls_coursesection_context_usage_key (course_context_id, usage_key),
  KEY course_context_ordering_idx (course_context_id, ordering),
  CONSTRAINT ls_coursesection_context_fk FOREIGN KEY (course_context_id) REFERENCES learning_sequences_coursecontext (learning_context_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE learning_sequences_coursesectionsequence (
  id bigint NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  hide_from_toc tinyint(1) NOT NULL, visible_to_staff_only tinyint(1) NOT NULL, course_context_id bigint NOT NULL,
  section_id bigint NOT NULL, sequence_id bigint NOT NULL, inaccessible_after_due tinyint(1) NOT NULL,
  ordering int unsigned NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY ls_css_context_ordering (course_context_id, ordering),
  CONSTRAINT ls_css_context_fk FOREIGN KEY (course_context_id) REFERENCES learning_sequences_coursecontext (learning_context_id),
  CONSTRAINT ls_css_section_fk FOREIGN KEY (section_id) REFERENCES learning_sequences_coursesection (id),
  CONSTRAINT ls_css_sequence_fk FOREIGN KEY (sequence_id) REFERENCES learning_sequences_learningsequence (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE split_modulestore_django_splitmodulestorecourseindex (
  id int NOT NULL AUTO_INCREMENT, objectid varchar(24) NOT NULL, course_id varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  org varchar(255) NOT NULL, draft_version varchar(24) NOT NULL, published_version varchar(24) NOT NULL,
  library_version varchar(24) NOT NULL, wiki_slug varchar(255) NOT NULL, base_store varchar(20) NOT NULL,
  edited_on datetime(6) NOT NULL, last_update datetime(6) NOT NULL, edited_by_id int NULL,
  PRIMARY KEY (id), UNIQUE KEY objectid (objectid), UNIQUE KEY course_id (course_id), KEY org (org), KEY wiki_slug (wiki_slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
];

const RETIREMENT = [
  `CREATE TABLE user_api_retirementstate (
  id int NOT NULL AUTO_INCREMENT, state_name varchar(30) NOT NULL, state_execution_order smallint NOT NULL,
  is_dead_end_state tinyint(1) NOT NULL, required tinyint(1) NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY state_name (state_name), UNIQUE KEY state_execution_order (state_execution_order),
  KEY user_api_retirementstate_is_dead_end_state (is_dead_end_state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE user_api_userretirementstatus (
  id int NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL,
  original_username varchar(150) NOT NULL, original_email varchar(254) NOT NULL, original_name varchar(255) NOT NULL,
  retired_username varchar(150) NOT NULL, retired_email varchar(254) NOT NULL, responses longtext NOT NULL,
  current_state_id int NOT NULL, last_state_id int NOT NULL, user_id int NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY user_id (user_id), KEY original_username (original_username),
  KEY original_email (original_email), KEY original_name (original_name), KEY retired_username (retired_username),
  KEY retired_email (retired_email),
  CONSTRAINT user_api_userretirementstatus_current_state_fk FOREIGN KEY (current_state_id) REFERENCES user_api_retirementstate (id),
  CONSTRAINT user_api_userretirementstatus_last_state_fk FOREIGN KEY (last_state_id) REFERENCES user_api_retirementstate (id),
  CONSTRAINT user_api_userretirementstatus_user_fk FOREIGN KEY (user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE user_api_userretirementrequest (
  id int NOT NULL AUTO_INCREMENT, created datetime(6) NOT NULL, modified datetime(6) NOT NULL, user_id int NOT NULL,
  PRIMARY KEY (id), UNIQUE KEY user_id (user_id),
  CONSTRAINT user_api_userretirementrequest_user_fk FOREIGN KEY (user_id) REFERENCES auth_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
];

/** Which openedx-core tagging schema: newest (migrations up to 0023) or before 0020 (no lineage). */
export type TaggingSchema = 'newest' | 'legacy';

function taxonomyTable(schema: TaggingSchema): string {
  const newest = schema === 'newest' ? 'read_only tinyint(1) NOT NULL, archived tinyint(1) NOT NULL,' : '_taxonomy_class varchar(255) NULL,';
  return `CREATE TABLE oel_tagging_taxonomy (
  id bigint NOT NULL AUTO_INCREMENT,
  name varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  description longtext NOT NULL,
  enabled tinyint(1) NOT NULL,
  allow_multiple tinyint(1) NOT NULL,
  allow_free_text tinyint(1) NOT NULL,
  visible_to_authors tinyint(1) NOT NULL,
  export_id varchar(255) NOT NULL,
  ${newest}
  PRIMARY KEY (id),
  UNIQUE KEY oel_tagging_taxonomy_export_id_uniq (export_id),
  KEY oel_tagging_taxonomy_name_7e1aff1a (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}

function tagTable(schema: TaggingSchema): string {
  const newest = schema === 'newest'
    ? `external_id varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  depth int NOT NULL,
  lineage varchar(3006) COLLATE utf8mb4_unicode_ci NOT NULL,
  archived tinyint(1) NOT NULL,`
    : 'external_id varchar(255) COLLATE utf8mb4_unicode_ci NULL,';
  const checks = schema === 'newest'
    ? `,
  KEY oel_tagging_lineage_d65f82_idx (lineage(768)),
  CONSTRAINT oel_tagging_tag_depth_parent_check CHECK (parent_id IS NULL OR depth > 0),
  CONSTRAINT oel_tagging_tag_lineage_ends_with_value CHECK (RIGHT(lineage, CHAR_LENGTH(value) + 1) = CONCAT(value, '\t')),
  CONSTRAINT oel_tagging_tag_lineage_tab_count_check CHECK (CHAR_LENGTH(lineage) - CHAR_LENGTH(REPLACE(lineage, '\t', '')) = depth + 1)`
    : '';
  return `CREATE TABLE oel_tagging_tag (
  id bigint NOT NULL AUTO_INCREMENT,
  taxonomy_id bigint NULL,
  parent_id bigint NULL,
  value varchar(500) COLLATE utf8mb4_unicode_ci NOT NULL,
  ${newest}
  PRIMARY KEY (id),
  UNIQUE KEY oel_tagging_tag_taxonomy_id_value_uniq (taxonomy_id, value),
  UNIQUE KEY oel_tagging_tag_taxonomy_id_external_id_uniq (taxonomy_id, external_id),
  KEY oel_tagging_taxonom_89e779_idx (taxonomy_id, value),
  KEY oel_tagging_taxonom_44e355_idx (taxonomy_id, external_id),
  CONSTRAINT oel_tagging_tag_taxonomy_id_fk FOREIGN KEY (taxonomy_id) REFERENCES oel_tagging_taxonomy (id),
  CONSTRAINT oel_tagging_tag_parent_id_fk FOREIGN KEY (parent_id) REFERENCES oel_tagging_tag (id)${checks}
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}

function objectTagTable(schema: TaggingSchema): string {
  const newest = schema === 'newest' ? 'is_copied tinyint(1) NOT NULL, archived tinyint(1) NOT NULL, deletion_locked tinyint(1) NOT NULL,' : '';
  return `CREATE TABLE oel_tagging_objecttag (
  id bigint NOT NULL AUTO_INCREMENT,
  object_id varchar(255) COLLATE utf8mb4_bin NOT NULL,
  taxonomy_id bigint NULL,
  tag_id bigint NULL,
  _export_id varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  _value varchar(500) COLLATE utf8mb4_unicode_ci NOT NULL,
  ${newest}
  PRIMARY KEY (id),
  KEY oel_tagging_objecttag_object_id_idx (object_id),
  UNIQUE KEY oel_tagging_objecttag_object_taxonomy_tag_uniq (object_id, taxonomy_id, tag_id),
  UNIQUE KEY oel_tagging_objecttag_object_taxonomy_value_uniq (object_id, taxonomy_id, _value),
  KEY oel_tagging_taxonom_aa24e6_idx (taxonomy_id, object_id),
  KEY oel_tagging_taxonom_3668ec_idx (taxonomy_id, _value),
  CONSTRAINT oel_tagging_objecttag_taxonomy_id_fk FOREIGN KEY (taxonomy_id) REFERENCES oel_tagging_taxonomy (id),
  CONSTRAINT oel_tagging_objecttag_tag_id_fk FOREIGN KEY (tag_id) REFERENCES oel_tagging_tag (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}

/** Options of the fixture schema. */
export interface SchemaOptions {
  readonly uuids?: UuidStorage;
  readonly tagging?: TaggingSchema;
}

/** The CREATE TABLE statements, parents first. */
export function lmsSchema(options: SchemaOptions = {}): string[] {
  const tagging = options.tagging ?? 'newest';
  return [AUTH_USER, AUTH_USERPROFILE, STUDENT_COURSEENROLLMENT, STUDENT_COURSEENROLLMENT_HISTORY, EXTERNAL_ID_TYPE, externalIdTable(options.uuids ?? 'char32'),
    COURSE_OVERVIEW, ...LEARNING_SEQUENCES, ...RETIREMENT, taxonomyTable(tagging), tagTable(tagging), objectTagTable(tagging)];
}
