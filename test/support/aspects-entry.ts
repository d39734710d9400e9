// The CLI as the tests spawn it: this build's own src/main.js. bin/aspects loads dist/, which
// `npm test` never rebuilds, so an installed aspects keeps running while the tests do.
import { runFromProcess } from '../../src/main.js';

await runFromProcess();
