import { courseEnrollment } from './course_enrollment.js';
import { courseOverviews } from './course_overviews.js';
import { externalId } from './external_id.js';
import { objectTag } from './object_tag.js';
import { tag } from './tag.js';
import { taxonomy } from './taxonomy.js';
import type { Sink } from './types.js';
import { userProfile } from './user_profile.js';

/** Every object `aspects dump` supports, in the order `--object all` dumps them. */
export const SINKS: readonly Sink[] = Object.freeze([
  courseOverviews, userProfile, externalId, courseEnrollment, taxonomy, tag, objectTag,
]);

/** The `--object` names, for choices, help and README. */
export const OBJECT_NAMES: readonly string[] = Object.freeze(SINKS.map((sink) => sink.name));

/** The sink named `name`, or undefined. */
export function findSink(name: string): Sink | undefined {
  return SINKS.find((sink) => sink.name === name);
}
