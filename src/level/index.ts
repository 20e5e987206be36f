/** shale/level: shale as an abstract-level database (see README, "shale/level"). */
export { ShaleLevel } from './shale-level.js';
export type { ShaleLevelOptions } from './shale-level.js';
