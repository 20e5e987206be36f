/**
 * The .slt corpus against shale through the extended protocol (Parse/Bind/Describe/Execute/Sync for every
 * record); slt.test.ts runs the simple protocol. See slt-suite.ts.
 */
import { defineSltTests, loadCorpus } from './slt-suite.js';

await defineSltTests(loadCorpus(), 'extended');
