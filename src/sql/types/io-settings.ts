/**
 * IoSettings: the session parameters that change how values read and print as text. TimeZone moves
 * timestamptz to and from wall-clock time; IntervalStyle picks interval output. Binary forms ignore both.
 */
import { UTC, type TimeZone } from './time-zone.js';

/** IntervalStyle: PostgreSQL's four interval output styles. */
export type IntervalStyle = 'postgres' | 'postgres_verbose' | 'sql_standard' | 'iso_8601';

export const INTERVAL_STYLES: readonly IntervalStyle[] = [
  'postgres',
  'postgres_verbose',
  'sql_standard',
  'iso_8601',
];

export interface IoSettings {
  readonly zone: TimeZone;
  readonly intervalStyle: IntervalStyle;
}

/** DEFAULT_IO: a new session's (TimeZone UTC, IntervalStyle postgres), for text read outside any session. */
export const DEFAULT_IO: IoSettings = { zone: UTC, intervalStyle: 'postgres' };
