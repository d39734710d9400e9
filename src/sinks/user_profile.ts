import { country, drfTimestamp, integer, text } from '../format/values.js';
import { defineSink } from './types.js';

const PROFILE_TEXT = [
  'meta', 'courseware', 'language', 'location',
] as const;
const PROFILE_DETAILS = [
  'gender', 'level_of_education', 'mailing_address', 'city', 'country', 'state', 'goals', 'bio',
] as const;
/** The details written as stored; country goes through django-countries' normalisation. */
const formatOf = (field: (typeof PROFILE_DETAILS)[number]) => (field === 'country' ? country : text);

/** `auth_userprofile` + `auth_user` → event_sink.user_profile (contract §3.4). */
export const userProfile = defineSink({
  name: 'user_profile',
  table: 'user_profile',
  pii: true,
  userColumn: 'user_id',
  description: 'learner profiles with username and email (PII)',
  source: {
    from: 'auth_userprofile p LEFT JOIN auth_user u ON u.id = p.user_id',
    key: 'p.id',
    keyType: 'integer',
    fields: {
      id: 'p.id', user_id: 'p.user_id', name: 'p.name', username: 'u.username', email: 'u.email',
      ...Object.fromEntries(PROFILE_TEXT.map((field) => [field, `p.${field}`])),
      year_of_birth: 'p.year_of_birth',
      ...Object.fromEntries(PROFILE_DETAILS.map((field) => [field, `p.${field}`])),
      profile_image_uploaded_at: 'p.profile_image_uploaded_at', phone_number: 'p.phone_number',
    },
  },
  columns: [
    { name: 'id', source: 'id', format: integer },
    { name: 'user_id', source: 'user_id', format: integer },
    { name: 'name', source: 'name', format: text },
    { name: 'username', source: 'username', format: text },
    { name: 'email', source: 'email', format: text },
    ...PROFILE_TEXT.map((field) => ({ name: field, source: field, format: text })),
    { name: 'year_of_birth', source: 'year_of_birth', format: integer },
    ...PROFILE_DETAILS.map((field) => ({ name: field, source: field, format: formatOf(field) })),
    { name: 'profile_image_uploaded_at', source: 'profile_image_uploaded_at', format: drfTimestamp },
    { name: 'phone_number', source: 'phone_number', format: text },
  ],
  incremental: { kind: 'changed-rows', targetKey: 'id' },
  // 2: country normalised as django-countries does; dates Python cannot build written as None.
  formatVersion: 2,
  shownWith: { table: 'external_id', column: 'user_id' },
});
