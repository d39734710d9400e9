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

/** The CREATE TABLE statements, parents first. */
export function lmsSchema(storage: UuidStorage = 'char32'): string[] {
  return [AUTH_USER, AUTH_USERPROFILE, STUDENT_COURSEENROLLMENT, EXTERNAL_ID_TYPE, externalIdTable(storage)];
}
