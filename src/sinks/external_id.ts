import { integer, text, uuidString } from '../format/values.js';
import { defineSink } from './types.js';

/** `external_user_ids_externalid` + type name + username → event_sink.external_id (§3.5). */
export const externalId = defineSink({
  name: 'external_id',
  table: 'external_id',
  pii: true,
  userColumn: 'user_id',
  description: 'external (xAPI, LTI, Caliper) user ids with username (PII)',
  source: {
    from: 'external_user_ids_externalid e'
      + ' LEFT JOIN external_user_ids_externalidtype t ON t.id = e.external_id_type_id'
      + ' LEFT JOIN auth_user u ON u.id = e.user_id',
    key: 'e.id',
    keyType: 'integer',
    fields: {
      id: 'e.id', external_user_id: 'e.external_user_id', external_id_type: 't.name',
      username: 'u.username', user_id: 'e.user_id',
    },
  },
  columns: [
    { name: 'external_user_id', source: 'external_user_id', format: uuidString },
    { name: 'external_id_type', source: 'external_id_type', format: text },
    { name: 'username', source: 'username', format: text },
    { name: 'user_id', source: 'user_id', format: integer },
  ],
  // ExternalId.pk is not a ClickHouse column; the UUID is unique in MySQL.
  incremental: { kind: 'changed-rows', targetKey: 'external_user_id' },
  // TimeStampedModel sets modified on save() and bulk_create (batch_get_or_create_user_ids); not indexed.
  changeSignal: {
    table: 'external_user_ids_externalid', key: 'id', changedAt: 'modified',
    misses: 'QuerySet.update(), and username changes in auth_user',
  },
});
