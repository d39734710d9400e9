import { integer, text } from '../format/values.js';
import { defineSink } from './types.js';

/** `oel_tagging_taxonomy` → event_sink.taxonomy (§3.6). Ids can be negative (-1 "Languages"). */
export const taxonomy = defineSink({
  name: 'taxonomy',
  table: 'taxonomy',
  pii: false,
  description: 'tag taxonomies: id and name',
  source: {
    from: 'oel_tagging_taxonomy tx',
    key: 'tx.id',
    keyType: 'integer',
    fields: { id: 'tx.id', name: 'tx.name' },
  },
  columns: [
    { name: 'id', source: 'id', format: integer },
    { name: 'name', source: 'name', format: text },
  ],
  incremental: { kind: 'changed-rows', targetKey: 'id' },
});
