import { CronExpressionParser } from 'cron-parser';
import type { ScheduleSpec } from './types.js';

export interface ScheduleFloor {
  replicas: number;
  /** Names of the schedules that set the floor. */
  active: string[];
}

/**
 * A schedule is active from `leadSeconds` before each cron firing until `durationSeconds` after it, so new
 * pods are ready when the known peak starts (predictive floor). The latest firing at or before now + lead
 * is the only one that can be active: an earlier firing ends earlier, every one having the same duration.
 */
export function isScheduleActive(schedule: ScheduleSpec, now: number, leadSeconds: number): boolean {
  const horizon = now + leadSeconds * 1000;
  const expression = CronExpressionParser.parse(schedule.cron, {
    // +1 ms: prev() is strictly before currentDate, and a firing exactly at the horizon counts.
    currentDate: new Date(horizon + 1),
    tz: schedule.timeZone,
  });
  const fired = expression.prev().getTime();
  return fired + schedule.durationSeconds * 1000 > now;
}

/** An unparsable cron or time zone never sets a floor (and never stops the other signals). */
function safelyActive(schedule: ScheduleSpec, now: number, leadSeconds: number): boolean {
  try {
    return isScheduleActive(schedule, now, leadSeconds);
  } catch {
    return false;
  }
}

export function scheduleFloor(schedules: ScheduleSpec[], now: number, leadSeconds: number): ScheduleFloor {
  const active = schedules.filter((s) => safelyActive(s, now, leadSeconds));
  const replicas = active.reduce((floor, s) => Math.max(floor, s.minReplicas), 0);
  return { replicas, active: active.map((s) => s.name) };
}
