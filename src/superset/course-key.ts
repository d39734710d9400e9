import { UsageError } from '../errors.js';

/** A course run key and the parts filters may use (`{course_id.org}` …). */
export interface CourseKey {
  readonly text: string;
  readonly org: string;
  readonly course: string;
  readonly run: string;
}

// opaque-keys' ALLOWED_ID_CHARS, [\w\-~.:] with Python's Unicode \w: no quote, backslash, space or
// slash can reach a filter clause through a key.
const PART = String.raw`[\p{L}\p{N}\p{M}_\-~.:]+`;
const NEW_STYLE = new RegExp(String.raw`^course-v1:(${PART})\+(${PART})\+(${PART})$`, 'u');
const CCX = new RegExp(String.raw`^ccx-v1:(${PART})\+(${PART})\+(${PART})\+ccx@\d+$`, 'u');
const OLD_STYLE = new RegExp(String.raw`^(${PART})/(${PART})/(${PART})$`, 'u');

/** Parses `course-v1:Org+Course+Run`, a CCX key or an old `Org/Course/Run` key; anything else is exit 2. */
export function parseCourseKey(text: string): CourseKey {
  for (const pattern of [NEW_STYLE, CCX, OLD_STYLE]) {
    const match = pattern.exec(text);
    if (match) return { text, org: match[1] as string, course: match[2] as string, run: match[3] as string };
  }
  throw new UsageError(`--course-key ${JSON.stringify(text)} is not a course key (course-v1:ORG+COURSE+RUN)`);
}
