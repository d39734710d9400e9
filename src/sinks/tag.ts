import { pythonJson } from '../format/python-json.js';
import { integer, text } from '../format/values.js';
import { defineSink } from './types.js';

/** `oel_tagging_tag` → event_sink.tag (§3.6), with lineage from the root down as Python JSON. */
export const tag = defineSink({
  name: 'tag',
  table: 'tag',
  pii: false,
  description: 'tags with taxonomy, parent and lineage',
  source: {
    from: 'oel_tagging_tag t',
    key: 't.id',
    keyType: 'integer',
    fields: { id: 't.id', taxonomy: 't.taxonomy_id', parent: 't.parent_id', value: 't.value', external_id: 't.external_id' },
  },
  columns: [
    { name: 'id', source: 'id', format: integer },
    { name: 'taxonomy', source: 'taxonomy', format: integer },
    { name: 'parent', source: 'parent', format: integer },
    { name: 'value', source: 'value', format: text },
    { name: 'external_id', source: 'external_id', format: text },
    { name: 'lineage', source: (row, { tagTree }) => pythonJson(tagTree.lineage(Number(row.id))), format: text },
  ],
  incremental: { kind: 'changed-rows', targetKey: 'id' },
  references: ['tagTree'],
});
