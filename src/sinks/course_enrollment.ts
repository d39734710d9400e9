import { boolean, courseKey, drfTimestamp, integer, text } from '../format/values.js';
import { defineSink } from './types.js';

/** `student_courseenrollment` + username → event_sink.course_enrollment (§3.3). */
export const courseEnrollment = defineSink({
  name: 'course_enrollment',
  table: 'course_enrollment',
  pii: false,
  description: 'enrollments: course, mode, active flag, user',
  source: {
    // user_id has no FK constraint since student 0047: a LEFT JOIN keeps orphans (username "").
    from: 'student_courseenrollment ce LEFT JOIN auth_user u ON u.id = ce.user_id',
    key: 'ce.id',
    keyType: 'integer',
    fields: {
      id: 'ce.id', course_key: 'ce.course_id', created: 'ce.created', is_active: 'ce.is_active',
      mode: 'ce.mode', username: 'u.username', user_id: 'ce.user_id',
    },
  },
  columns: [
    { name: 'id', source: 'id', format: integer },
    { name: 'course_key', source: 'course_key', format: courseKey },
    { name: 'created', source: 'created', format: drfTimestamp },
    { name: 'is_active', source: 'is_active', format: boolean },
    { name: 'mode', source: 'mode', format: text },
    { name: 'username', source: 'username', format: text },
    { name: 'user_id', source: 'user_id', format: integer },
  ],
  incremental: { kind: 'changed-rows', targetKey: 'id' },
  // django-simple-history writes a row (indexed by history_date) for every save and delete.
  changeSignal: {
    table: 'student_courseenrollment_history', key: 'id', changedAt: 'history_date',
    misses: 'QuerySet.update() and bulk writes, and username changes in auth_user',
  },
});
