import { randomUUID } from 'node:crypto';

/** A test learner: username and the xAPI actor id event-routing-backends would give them. */
export interface Learner {
  readonly username: string;
  readonly externalId: string;
}

/** One xAPI row ready for the statements table. */
export interface XapiRow {
  readonly eventId: string;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff`. */
  readonly emissionTime: string;
  /** The whole statement as JSON. */
  readonly event: string;
}

const VERBS = {
  registered: 'http://adlnet.gov/expapi/verbs/registered',
  unregistered: 'http://id.tincanapi.com/verb/unregistered',
} as const;

/**
 * An enrollment statement as event-routing-backends emits it for
 * edx.course.enrollment.activated / deactivated (contract §2.3–§2.4).
 */
export function enrollmentStatement(learner: Learner, courseKey: string, lmsUrl: string, enrolled: boolean, now: Date): XapiRow {
  const eventId = randomUUID();
  const iso = now.toISOString();
  const timestamp = `${iso.slice(0, 23)}000+00:00`;
  const statement = {
    id: eventId,
    actor: { objectType: 'Agent', account: { homePage: lmsUrl, name: learner.externalId } },
    verb: { id: enrolled ? VERBS.registered : VERBS.unregistered, display: { 'en-US': enrolled ? 'registered' : 'unregistered' } },
    object: {
      id: `${lmsUrl}/course/${courseKey}`, objectType: 'Activity',
      definition: { type: 'http://adlnet.gov/expapi/activities/course', name: { 'en-US': 'Load test course' }, extensions: { 'https://w3id.org/xapi/acrossx/extensions/type': 'audit' } },
    },
    timestamp,
    version: '1.0.3',
    context: { contextActivities: { parent: [{ id: `${lmsUrl}/course/${courseKey}`, objectType: 'Activity', definition: { type: 'http://adlnet.gov/expapi/activities/course' } }] } },
  };
  return { eventId, emissionTime: `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`, event: JSON.stringify(statement) };
}
