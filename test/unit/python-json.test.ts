import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pyFloat, pythonFloatRepr, pythonJson } from '../../src/format/python-json.js';

// Expected strings are what CPython 3.11's json.dumps prints for the same values.
describe('Python json.dumps', () => {
  it('separates with ", " and ": " and keeps key order', () => {
    assert.equal(pythonJson({ b: 1, a: [true, false, null] }), '{"b": 1, "a": [true, false, null]}');
    assert.equal(pythonJson([]), '[]');
    assert.equal(pythonJson({}), '{}');
  });

  it('escapes non-ASCII as lower-case \\uXXXX, astral characters as surrogate pairs', () => {
    assert.equal(pythonJson(['Wind instruments', 'Brass']), '["Wind instruments", "Brass"]');
    assert.equal(pythonJson('Zoë – “smart” 🎺'), '"Zo\\u00eb \\u2013 \\u201csmart\\u201d \\ud83c\\udfba"');
    assert.equal(pythonJson('tab\tnew\nline "q" back\\slash \u0001 \u007f'), '"tab\\tnew\\nline \\"q\\" back\\\\slash \\u0001 \\u007f"');
  });

  it('writes floats as repr() does', () => {
    assert.equal(pythonJson(pyFloat(0.5)), '0.5');
    assert.equal(pythonJson(pyFloat(1)), '1.0');
    assert.equal(pythonJson(pyFloat(0)), '0.0');
    assert.equal(pythonFloatRepr(0.1 + 0.2), '0.30000000000000004');
    assert.equal(pythonFloatRepr(1e-5), '1e-05');
    assert.equal(pythonFloatRepr(1.5e16), '1.5e+16');
    assert.equal(pythonFloatRepr(123456.789), '123456.789');
  });

  it('reproduces the contract\'s course_data_json example', () => {
    const data = {
      advertised_start: null, announcement: '2019-11-01T12:00:00+00:00', lowest_passing_grade: pyFloat(0.5),
      invitation_only: false, max_student_enrollments_allowed: null, effort: '5 hours/week',
      enable_proctored_exams: false, entrance_exam_enabled: false, external_id: null, language: 'en', tags: [1, 11],
    };
    assert.equal(pythonJson(data), '{"advertised_start": null, "announcement": "2019-11-01T12:00:00+00:00", "lowest_passing_grade": 0.5, "invitation_only": false, "max_student_enrollments_allowed": null, "effort": "5 hours/week", "enable_proctored_exams": false, "entrance_exam_enabled": false, "external_id": null, "language": "en", "tags": [1, 11]}');
  });
});
