/**
 * Session settings (SET / SHOW / RESET): the parameters clients touch, with the values PostgreSQL 15 reports.
 * Parameters marked `report` are sent to the client as ParameterStatus at startup and whenever they change.
 */
import { notSupported, SqlError, SqlState } from './errors.js';
import { INTERVAL_STYLES, type IntervalStyle, type IoSettings } from './types/io-settings.js';
import { UTC } from './types/time-zone.js';
import { sessionZone } from './types/zone-names.js';

interface Setting {
  readonly value: string;
  readonly report?: boolean;
  /** check normalises a new value or throws (undefined: any value is accepted as given). */
  readonly check?: (v: string) => string;
  readonly readOnly?: boolean;
}

const onOff = (v: string): string => {
  const s = v.toLowerCase();
  if (['on', 'true', 'yes', '1', 't'].includes(s)) return 'on';
  if (['off', 'false', 'no', '0', 'f'].includes(s)) return 'off';
  throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `parameter requires a Boolean value`);
};

const isolation = (v: string): string => {
  const s = v.toLowerCase().replace(/_/g, ' ');
  if (['read committed', 'repeatable read', 'serializable', 'read uncommitted'].includes(s)) return s;
  throw new SqlError(
    SqlState.INVALID_PARAMETER_VALUE,
    `invalid value for parameter "transaction_isolation": "${v}"`,
  );
};

export function defaultSettings(version: string, user: string): Map<string, Setting> {
  return new Map<string, Setting>([
    ['application_name', { value: '', report: true }],
    [
      'client_encoding',
      {
        value: 'UTF8',
        report: true,
        check: (v) => {
          if (!/^(utf-?8|unicode)$/i.test(v)) throw notSupported(`client_encoding ${v}`);
          return 'UTF8';
        },
      },
    ],
    [
      'datestyle',
      {
        value: 'ISO, MDY',
        report: true,
        check: (v) => {
          if (!/iso/i.test(v) && !/^(mdy|dmy|ymd)$/i.test(v.trim())) throw notSupported(`DateStyle ${v}`);
          return 'ISO, MDY';
        },
      },
    ],
    ['default_transaction_read_only', { value: 'off', report: true, check: onOff }],
    ['in_hot_standby', { value: 'off', report: true, readOnly: true }],
    ['integer_datetimes', { value: 'on', report: true, readOnly: true }],
    [
      'intervalstyle',
      {
        value: 'postgres',
        report: true,
        check: (v) => {
          const s = v.toLowerCase() as IntervalStyle;
          if (!INTERVAL_STYLES.includes(s))
            throw new SqlError(
              SqlState.INVALID_PARAMETER_VALUE,
              `invalid value for parameter "intervalstyle": "${v}"`,
              { hint: `Available values: ${INTERVAL_STYLES.join(', ')}.` },
            );
          return s;
        },
      },
    ],
    ['is_superuser', { value: 'on', report: true, readOnly: true }],
    ['server_encoding', { value: 'UTF8', report: true, readOnly: true }],
    ['server_version', { value: version, report: true, readOnly: true }],
    ['server_version_num', { value: versionNum(version), readOnly: true }],
    ['session_authorization', { value: user, report: true, readOnly: true }],
    [
      'standard_conforming_strings',
      {
        value: 'on',
        report: true,
        check: (v) => {
          if (onOff(v) !== 'on') throw notSupported('standard_conforming_strings = off');
          return 'on';
        },
      },
    ],
    [
      'timezone',
      {
        value: 'UTC',
        report: true,
        // The value kept is the zone's name as SHOW prints it, which reads back as the same zone.
        check: (v) => sessionZone(v).name,
      },
    ],
    ['search_path', { value: '"$user", public' }],
    ['statement_timeout', { value: '0' }],
    ['lock_timeout', { value: '0' }],
    // Accepted for PostgreSQL's clients and tests: shale looks for a deadlock before every wait, not after this.
    ['deadlock_timeout', { value: '1s' }],
    ['idle_in_transaction_session_timeout', { value: '0' }],
    [
      'extra_float_digits',
      {
        value: '1',
        // Any value above 0 means the shortest exact output (PostgreSQL 12+), which is what shale writes.
        check: (v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < -15 || n > 3)
            throw new SqlError(
              SqlState.INVALID_PARAMETER_VALUE,
              `${v} is outside the valid range for parameter "extra_float_digits" (-15 .. 3)`,
            );
          if (n <= 0)
            throw notSupported(`extra_float_digits ${n} (floats are written in their shortest exact form)`);
          return String(n);
        },
      },
    ],
    [
      'synchronous_commit',
      {
        value: 'on',
        check: (v) => (['local', 'remote_write', 'remote_apply'].includes(v.toLowerCase()) ? 'on' : onOff(v)),
      },
    ],
    ['transaction_isolation', { value: 'read committed', check: isolation }],
    ['default_transaction_isolation', { value: 'read committed', check: isolation }],
    ['transaction_read_only', { value: 'off', check: onOff }],
    ['client_min_messages', { value: 'notice' }],
    ['max_identifier_length', { value: '63', readOnly: true }],
    ['lc_messages', { value: 'C' }],
    ['lc_monetary', { value: 'C' }],
    ['lc_numeric', { value: 'C' }],
    ['lc_time', { value: 'C' }],
    ['lc_collate', { value: 'C', readOnly: true }],
    ['lc_ctype', { value: 'C', readOnly: true }],
    [
      'bytea_output',
      {
        value: 'hex',
        check: (v) => {
          if (v.toLowerCase() !== 'hex') throw notSupported(`bytea_output ${v}`);
          return 'hex';
        },
      },
    ],
    ['row_security', { value: 'on' }],
    ['max_connections', { value: '100', readOnly: true }],
    ['work_mem', { value: '4MB' }],
    ['maintenance_work_mem', { value: '64MB' }],
    ['jit', { value: 'off' }],
    ['enable_seqscan', { value: 'on' }],
    ['fsync', { value: 'on', readOnly: true }],
  ]);
}

/** The names SHOW prints in its column header differ in case for a few parameters. */
export const DISPLAY_NAMES: Record<string, string> = {
  datestyle: 'DateStyle',
  intervalstyle: 'IntervalStyle',
  timezone: 'TimeZone',
};

/** Settings is one session's parameters. */
export class Settings {
  private readonly values: Map<string, Setting>;
  private readonly defaults: Map<string, Setting>;
  /** io: TimeZone and IntervalStyle as values read and print by them (kept current by every change). */
  io: IoSettings = { zone: UTC, intervalStyle: 'postgres' };
  constructor(version: string, user: string) {
    this.defaults = defaultSettings(version, user);
    this.values = new Map(this.defaults);
  }

  private updateIo(): void {
    const zone = this.values.get('timezone')!.value;
    const intervalStyle = this.values.get('intervalstyle')!.value as IntervalStyle;
    if (zone !== this.io.zone.name || intervalStyle !== this.io.intervalStyle)
      this.io = { zone: sessionZone(zone), intervalStyle };
  }

  get(name: string): string {
    const s = this.values.get(alias(name));
    if (s === undefined)
      throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    return s.value;
  }

  /** set changes a parameter (undefined: back to the default); returns it when clients must be told. */
  set(name: string, value: string | undefined): { name: string; value: string } | undefined {
    const key = alias(name);
    const cur = this.values.get(key);
    if (cur === undefined)
      throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    if (cur.readOnly === true) throw new SqlError('55P02', `parameter "${name}" cannot be changed`);
    const v =
      value === undefined
        ? this.defaults.get(key)!.value
        : cur.check !== undefined
          ? cur.check(value)
          : value;
    this.values.set(key, { ...cur, value: v });
    this.updateIo();
    return cur.report === true ? { name: DISPLAY_NAMES[key] ?? key, value: v } : undefined;
  }

  /** reported lists the parameters sent at startup. */
  reported(): { name: string; value: string }[] {
    const out: { name: string; value: string }[] = [];
    for (const [k, s] of this.values)
      if (s.report === true) out.push({ name: DISPLAY_NAMES[k] ?? k, value: s.value });
    return out.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  }

  resetAll(): void {
    for (const [k, s] of this.defaults) if (s.readOnly !== true) this.values.set(k, s);
    this.updateIo();
  }

  /** snapshot captures every value (SET is transactional: a rollback restores the snapshot). */
  snapshot(): SettingsSnapshot {
    return new Map(this.values);
  }

  /** restoreOnly puts back a snapshot's values of some parameters (SET LOCAL ending with its transaction). */
  restoreOnly(snap: SettingsSnapshot, names: Iterable<string>): { name: string; value: string }[] {
    const keys = new Set([...names].map(alias));
    return this.restore(new Map([...snap].filter(([k]) => keys.has(k))));
  }

  /** restore puts a snapshot back; returns the reported parameters whose values it changed. */
  restore(snap: SettingsSnapshot): { name: string; value: string }[] {
    const changed: { name: string; value: string }[] = [];
    for (const [k, s] of snap) {
      if (s.report === true && this.values.get(k)?.value !== s.value)
        changed.push({ name: DISPLAY_NAMES[k] ?? k, value: s.value });
      this.values.set(k, s);
    }
    this.updateIo();
    return changed;
  }
}

/** versionNum: server_version_num of a version string ("15.0 (shale 0.1)" is 150000). */
function versionNum(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m === null ? '150000' : String(Number(m[1]) * 10000 + Number(m[2]));
}

/** SettingsSnapshot: the values of all settings at one moment (opaque). */
export type SettingsSnapshot = ReadonlyMap<string, Setting>;

function alias(name: string): string {
  const n = name.toLowerCase();
  if (n === 'time zone') return 'timezone';
  if (n === 'names') return 'client_encoding';
  return n;
}
