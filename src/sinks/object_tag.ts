import { pythonJson } from '../format/python-json.js';
import { integer, text } from '../format/values.js';
import type { SourceRow } from '../lms/database.js';
import type { References } from '../lms/references.js';
import { defineSink } from './types.js';

/** ObjectTag.get_lineage(): the tag's lineage, or [_value] for free text or a deleted tag. */
function objectTagLineage(row: SourceRow, { tagTree }: References): string {
  const tagId = row.tag == null ? undefined : Number(row.tag);
  return pythonJson(tagId !== undefined && tagTree.has(tagId) ? tagTree.lineage(tagId) : [String(row._value)]);
}

/** `oel_tagging_objecttag` → event_sink.object_tag (§3.6). */
export const objectTag = defineSink({
  name: 'object_tag',
  table: 'object_tag',
  pii: false,
  description: 'tags applied to courses and blocks, with lineage',
  source: {
    from: 'oel_tagging_objecttag o',
    key: 'o.id',
    keyType: 'integer',
    fields: {
      id: 'o.id', object_id: 'o.object_id', taxonomy: 'o.taxonomy_id', tag: 'o.tag_id',
      _value: 'o._value', _export_id: 'o._export_id',
    },
  },
  columns: [
    { name: 'id', source: 'id', format: integer },
    { name: 'object_id', source: 'object_id', format: text },
    { name: 'taxonomy', source: 'taxonomy', format: integer },
    { name: 'tag', source: 'tag', format: integer },
    { name: '_value', source: '_value', format: text },
    { name: '_export_id', source: '_export_id', format: text },
    { name: 'lineage', source: objectTagLineage, format: text },
  ],
  incremental: { kind: 'changed-rows', targetKey: 'id' },
  references: ['tagTree'],
});
