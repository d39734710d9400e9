export { openChdbSession, type ChdbSession } from '../../src/clickhouse/embedded.js';
