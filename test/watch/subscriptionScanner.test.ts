/**
 * The pure parts of the subscription scanner (src/watch/subscriptionScanner.ts): which runs of
 * a business belong to which cron or plan, the target a cron or plan becomes, and when the last
 * daily digest was due.
 */
import type { CronInfo, JobInstanceListItem, JobPlanInfo } from '../../src/bkjob/catalog';
import { LAUNCH_MODE_CRON, lastDigestSlot, runMatches, targetOf } from '../../src/watch/subscriptionScanner';
import type { SubscriptionTarget } from '../../src/watch/subscriptionTypes';

const CRON: CronInfo = {
  id: 12,
  name: 'nightly-backup',
  jobPlanId: 7,
  enabled: true,
  expression: '0 3 * * *',
  timeZone: 'Asia/Shanghai',
  creator: 'admin',
  createTime: 1_700_000_000_000,
  lastModifyUser: 'admin',
  lastModifyTime: 1_700_000_000_000,
};

const PLAN: JobPlanInfo = { id: 7, name: 'backup all databases', jobTemplateId: 4, creator: 'admin', createTime: 1_700_000_000_000, lastModifyUser: null, lastModifyTime: null };

const CRON_TARGET: SubscriptionTarget = { kind: 'cron', id: 12, name: 'nightly-backup', planId: 7, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', templateId: null };
const PLAN_TARGET: SubscriptionTarget = { kind: 'plan', id: 7, name: 'backup all databases', planId: 7, expression: null, timeZone: null, templateId: 4 };

type Item = Pick<JobInstanceListItem, 'jobPlanId' | 'launchMode' | 'name'>;
const item = (jobPlanId: number | null, launchMode: number, name: string): Item => ({ jobPlanId, launchMode, name });

describe('targetOf', () => {
  it('makes a cron target: its plan, expression and time zone, no template', () => {
    expect(targetOf('cron', CRON)).toEqual(CRON_TARGET);
  });

  it('makes a one-off cron target with no expression', () => {
    expect(targetOf('cron', { ...CRON, expression: null, timeZone: null })).toEqual({ ...CRON_TARGET, expression: null, timeZone: null });
  });

  it('makes a plan target: the plan is its own plan, with its template', () => {
    expect(targetOf('plan', PLAN)).toEqual(PLAN_TARGET);
    expect(targetOf('plan', { ...PLAN, jobTemplateId: null })).toEqual({ ...PLAN_TARGET, templateId: null });
  });
});

describe('runMatches', () => {
  it('is 3 for cron runs (JOB TaskStartupModeEnum)', () => {
    expect(LAUNCH_MODE_CRON).toBe(3);
  });

  it.each([
    ['web', 1],
    ['API', 2],
    ['cron', 3],
  ])('matches a plan target with every run of the plan, however launched (%s)', (_how, launchMode) => {
    expect(runMatches(PLAN_TARGET, item(7, launchMode, 'whatever the run is called'))).toBe(true);
  });

  it("does not match a plan target with another plan's runs or fast jobs", () => {
    expect(runMatches(PLAN_TARGET, item(8, 1, 'backup all databases'))).toBe(false);
    expect(runMatches(PLAN_TARGET, item(null, 1, 'backup all databases'))).toBe(false);
    expect(runMatches(PLAN_TARGET, item(null, 3, 'backup all databases'))).toBe(false);
  });

  it("matches a cron target with the plan's runs the cron service started under the cron's name", () => {
    expect(runMatches(CRON_TARGET, item(7, 3, 'nightly-backup'))).toBe(true);
  });

  it.each<[string, Item]>([
    ['started from the web', item(7, 1, 'nightly-backup')],
    ['started through the API', item(7, 2, 'nightly-backup')],
    ['another cron of the same plan', item(7, 3, 'hourly-backup')],
    ['a name differing in case', item(7, 3, 'Nightly-backup')],
    ['a name with a trailing space', item(7, 3, 'nightly-backup ')],
    ['the same name on another plan', item(8, 3, 'nightly-backup')],
    ['a fast job (no plan)', item(null, 3, 'nightly-backup')],
  ])('does not match a cron target with a run %s', (_what, run) => {
    expect(runMatches(CRON_TARGET, run)).toBe(false);
  });
});

describe('lastDigestSlot', () => {
  describe('UTC', () => {
    it("is today's time once it has passed", () => {
      expect(lastDigestSlot('09:00', 'UTC', Date.UTC(2024, 5, 11, 10, 0))).toBe(Date.UTC(2024, 5, 11, 9, 0));
    });

    it("is today's time at that very minute", () => {
      expect(lastDigestSlot('09:00', 'UTC', Date.UTC(2024, 5, 11, 9, 0))).toBe(Date.UTC(2024, 5, 11, 9, 0));
    });

    it("is yesterday's time before it", () => {
      expect(lastDigestSlot('09:00', 'UTC', Date.UTC(2024, 5, 11, 8, 59, 59))).toBe(Date.UTC(2024, 5, 10, 9, 0));
    });

    it('goes back across a month boundary', () => {
      expect(lastDigestSlot('09:05', 'UTC', Date.UTC(2024, 6, 1, 0, 30))).toBe(Date.UTC(2024, 5, 30, 9, 5));
    });

    it('handles midnight and the last minute of the day', () => {
      expect(lastDigestSlot('00:00', 'UTC', Date.UTC(2024, 5, 11, 0, 0))).toBe(Date.UTC(2024, 5, 11, 0, 0));
      expect(lastDigestSlot('23:59', 'UTC', Date.UTC(2024, 5, 11, 12, 0))).toBe(Date.UTC(2024, 5, 10, 23, 59));
    });
  });

  describe('Asia/Shanghai (UTC+08:00)', () => {
    // 09:00 in Shanghai is 01:00 UTC.
    it("is today's 09:00 Shanghai once it has passed", () => {
      expect(lastDigestSlot('09:00', 'Asia/Shanghai', Date.UTC(2024, 5, 11, 2, 0))).toBe(Date.UTC(2024, 5, 11, 1, 0));
    });

    it("is yesterday's 09:00 Shanghai before it", () => {
      expect(lastDigestSlot('09:00', 'Asia/Shanghai', Date.UTC(2024, 5, 11, 0, 30))).toBe(Date.UTC(2024, 5, 10, 1, 0));
    });

    it('counts the day in Shanghai, not in UTC: 01:00 on the 12th there is still the 11th in UTC', () => {
      // 2024-06-11 17:00 UTC is 2024-06-12 01:00 in Shanghai: 23:30 on the 12th has not come, so the 11th's (15:30 UTC).
      expect(lastDigestSlot('23:30', 'Asia/Shanghai', Date.UTC(2024, 5, 11, 17, 0))).toBe(Date.UTC(2024, 5, 11, 15, 30));
      // 2024-06-10 16:20 UTC is 2024-06-11 00:20 in Shanghai: 00:15 on the 11th there has passed (16:15 UTC on the 10th).
      expect(lastDigestSlot('00:15', 'Asia/Shanghai', Date.UTC(2024, 5, 10, 16, 20))).toBe(Date.UTC(2024, 5, 10, 16, 15));
    });

    it('puts a UTC digest 8 hours after the Shanghai one at the same local time', () => {
      const now = Date.UTC(2024, 5, 11, 12, 0);
      expect(lastDigestSlot('09:00', 'UTC', now) - lastDigestSlot('09:00', 'Asia/Shanghai', now)).toBe(8 * 60 * 60_000);
    });
  });
});
