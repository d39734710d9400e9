import { isTransientMysqlError } from '../lms/transient.js';

const TRANSIENT_MONGO_ERRORS = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError']);

/** Whether reading course structures (MySQL index, MongoDB documents) may succeed when tried again. */
export function isTransientStructureError(error: unknown): boolean {
  return isTransientMysqlError(error) || (error instanceof Error && TRANSIENT_MONGO_ERRORS.has(error.name));
}
