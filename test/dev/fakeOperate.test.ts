/**
 * FakeBkJob's operate_step_instance and operate_job_instance over HTTP: JOB's state rules for
 * every code (bkjob-source-facts C1), its refusal codes and messages, the confirmer rule, the
 * effect of each operation on the job, who operated, the three ways in (ESB, gateway, system),
 * and the bot's V3JobOperator against it.
 */
import { BkTransport, type BkAuthMode } from '../../src/bkjob/transport';
import { STEP_OPERATION, V3JobOperator } from '../../src/bkjob/operate';
import { isBkJobError } from '../../src/bkjob/errors';
import { FakeBkJob } from '../../dev/fakeEsb';
import type { FakeHostDef, FakeJobDef, FakeStepDef, FakeStepType } from '../../dev/fakeJobs';
import { HOST_TERMINATED, finishRetry } from '../../dev/fakeOperate';

const NOW = 1718600000000;
const T0 = 1718590200000;
const JOB_ID = 2001904417;
const STEP = { FIRST: 2003790101, SECOND: 2003790102, THIRD: 2003790103 } as const;

function host(bkHostId: number, ipStatus: number, exitCode: number | null = ipStatus === 9 ? 0 : 1): FakeHostDef {
  const done = ipStatus !== 7 && ipStatus !== 5;
  return { bkHostId, bkCloudId: 0, ip: `10.0.1.${bkHostId % 100}`, ipStatus, tag: '', exitCode: done ? exitCode : null, errorCode: ipStatus === 7 ? 115 : 0, startTime: ipStatus === 5 ? null : T0 + 1000, endTime: done ? T0 + 9000 : null, log: 'out\n' };
}

function step(stepInstanceId: number, status: number, type: FakeStepType, hosts: FakeHostDef[], extra: Partial<FakeStepDef> = {}): FakeStepDef {
  return { stepInstanceId, name: `step-${stepInstanceId}`, status, type, executeCount: 0, hosts, ...extra };
}

/** Step 1 succeeded; step 2 is as given (a failed script step by default); step 3 has not started. */
function job(second: FakeStepDef = step(STEP.SECOND, 4, 1, [host(1001, 9), host(1002, 104), host(1003, 13)]), extra: Partial<FakeJobDef> = {}): FakeJobDef {
  return {
    bizId: 3,
    jobInstanceId: JOB_ID,
    name: 'release-gate-payments',
    createTime: T0,
    operator: 'dave',
    steps: [step(STEP.FIRST, 3, 1, [host(1001, 9), host(1002, 9)]), second, step(STEP.THIRD, 1, 1, [host(1001, 5), host(1002, 5)])],
    ...extra,
  };
}

/** A job whose step 2 has `status` and `type` (no hosts on a confirmation step). */
function jobAt(status: number, type: FakeStepType, extra: Partial<FakeStepDef> = {}): FakeJobDef {
  return job(step(STEP.SECOND, status, type, type === 3 ? [] : [host(1001, 9), host(1002, status === 2 ? 7 : 104)], extra));
}

describe('FakeBkJob operations', () => {
  const fake = new FakeBkJob({ now: () => NOW, deniedUsers: { mallory: 'access_business', victor: 'view_history' } });
  const creds = () => ({ bk_app_code: fake.appCode, bk_app_secret: fake.appSecret });
  const SCOPE = { bk_scope_type: 'biz', bk_scope_id: '3' } as const;

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  type Answer = { status: number; json: Record<string, unknown> };
  async function answer(response: Response): Promise<Answer> {
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** POSTs to the ESB component as `user`. */
  async function esb(api: string, body: Record<string, unknown>, user = 'alice', lang?: string): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(lang ? { 'Blueking-Language': lang } : {}) };
    return answer(await fetch(`${fake.url}/api/c/compapi/v2/jobv3/${api}/`, { method: 'POST', headers, body: JSON.stringify({ ...creds(), bk_username: user, ...body }) }));
  }

  const stepOp = (code: number, stepInstanceId: number = STEP.SECOND, user = 'alice', lang?: string) =>
    esb('operate_step_instance', { ...SCOPE, job_instance_id: JOB_ID, step_instance_id: stepInstanceId, operation_code: code }, user, lang);
  const jobOp = (code: number, user = 'alice') => esb('operate_job_instance', { ...SCOPE, job_instance_id: JOB_ID, operation_code: code }, user);

  const current = (): FakeJobDef => {
    const def = fake.job(3, JOB_ID);
    if (!def) throw new Error('job gone');
    return def;
  };
  const statuses = () => ({ job: current().status, steps: current().steps.map((s) => s.status) });

  const ok = (a: Answer, stepInstanceId: number | null = STEP.SECOND) => {
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ result: true, code: 0, data: { job_instance_id: JOB_ID, job_instance_name: null, step_instance_id: stepInstanceId } });
    expect(a.json).not.toHaveProperty('message');
  };
  const refused = (a: Answer, code: number, message?: string) => {
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ result: false, code, ...(message !== undefined ? { message } : {}) });
    expect(a.json).not.toHaveProperty('data');
  };

  describe('which states allow which code', () => {
    const allowed = (code: number, status: number, type: FakeStepType): boolean => {
      switch (code) {
        case 2:
        case 8:
          return [4, 9, 11].includes(status);
        case 3:
          return [4, 9].includes(status);
        case 6:
        case 9:
          return type === 3 && status === 7;
        case 10:
          return type === 3 && status === 13;
        case 11:
          return status === 11;
        case 12:
          return status === 10;
        case 13:
          return type !== 3 && status === 7;
        default:
          return false;
      }
    };

    it.each([2, 3, 6, 8, 9, 10, 11, 12, 13])('code %i: exactly the step statuses and types of C1, 1241003 otherwise', async (code) => {
      for (const type of [1, 2, 3] as const) {
        for (const status of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15]) {
          fake.setJob(jobAt(status, type));
          const a = await stepOp(code);
          if (allowed(code, status, type)) ok(a);
          else refused(a, 1241003, 'Unsupported operation');
        }
      }
    });

    it.each([1, 4, 5, 7, 14, 0, -1])('any other code (%i, including the documented 4 and 5) is 1241002', async (code) => {
      fake.setJob(jobAt(4, 1));
      refused(await stepOp(code), 1241002, 'Invalid request parameter');
      expect(fake.operations()).toEqual([]);
    });

    it('answers in the request’s language', async () => {
      fake.setJob(jobAt(2, 1));
      refused(await stepOp(2, STEP.SECOND, 'alice', 'zh-cn'), 1241003, '不支持的操作');
      refused(await stepOp(2, STEP.SECOND, 'alice', 'en'), 1241003, 'Unsupported operation');
      refused(await stepOp(5, STEP.SECOND, 'alice', 'zh-cn'), 1241002, '请求参数不合法');
      refused(await stepOp(2, 1, 'alice', 'zh-cn'), 1244007, '作业步骤实例不存在');
    });

    it('missing or bad ids are 1241002; an unknown or other-biz job 1244006; an unknown step 1244007', async () => {
      fake.setJob(jobAt(4, 1));
      fake.setJob({ ...jobAt(4, 1), bizId: 4, jobInstanceId: 99 });
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: JOB_ID, operation_code: 2 }), 1241002);
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: 0, step_instance_id: STEP.SECOND, operation_code: 2 }), 1241002);
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: JOB_ID, step_instance_id: STEP.SECOND }), 1241002);
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: 1, step_instance_id: STEP.SECOND, operation_code: 2 }), 1244006, 'Task instance does not exist');
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: 99, step_instance_id: STEP.SECOND, operation_code: 2 }), 1244006);
      refused(await stepOp(2, 2003799999), 1244007, 'Step instance does not exist');
      // The code is checked before the job is looked up.
      refused(await esb('operate_step_instance', { ...SCOPE, job_instance_id: 1, step_instance_id: STEP.SECOND, operation_code: 4 }), 1241002);
    });
  });

  describe('effects', () => {
    it('2 retries the hosts that did not succeed: a new execution, running again; finishRetry ends it and the job goes on', async () => {
      fake.setJob(job());
      ok(await stepOp(STEP_OPERATION.RETRY_FAILED));
      const second = current().steps[1]!;
      expect(second.executeCount).toBe(1);
      expect(second.hosts.map((h) => [h.ipStatus, h.exitCode, h.endTime])).toEqual([
        [9, 0, T0 + 9000],
        [7, null, null],
        [7, null, null],
      ]);
      expect(statuses()).toEqual({ job: 2, steps: [3, 2, 1] });
      // What the bot's poller sees: the same job running again, execute_count 1.
      const status = await esb('get_job_instance_status', { ...SCOPE, job_instance_id: JOB_ID, return_ip_result: true });
      expect(status.json).toMatchObject({ result: true, data: { finished: false, job_instance: { status: 2, end_time: null }, step_instance_list: [{ status: 3 }, { status: 2, execute_count: 1, end_time: null }, { status: 1 }] } });

      finishRetry(current(), 1, 'succeeded', NOW + 5000);
      expect(statuses()).toEqual({ job: 2, steps: [3, 3, 2] });
      expect(current().steps[2]!.hosts.map((h) => h.ipStatus)).toEqual([7, 7]);
      finishRetry(current(), 2, 'succeeded', NOW + 9000);
      expect(statuses()).toEqual({ job: 3, steps: [3, 3, 3] });
      expect(current().endTime).toBe(NOW + 9000);
    });

    it('8 retries every host; a failed retry fails the step and the job again', async () => {
      fake.setJob(job());
      ok(await stepOp(STEP_OPERATION.RETRY_ALL));
      expect(current().steps[1]!.hosts.map((h) => h.ipStatus)).toEqual([7, 7, 7]);
      finishRetry(current(), 1, 'failed', NOW + 5000);
      expect(statuses()).toEqual({ job: 4, steps: [3, 4, 1] });
      expect(current().steps[1]!.hosts.map((h) => [h.ipStatus, h.exitCode])).toEqual([
        [104, 1],
        [104, 1],
        [104, 1],
      ]);
      // And again: execute_count counts every retry.
      ok(await stepOp(STEP_OPERATION.RETRY_FAILED));
      expect(current().steps[1]!.executeCount).toBe(2);
      expect(() => finishRetry(current(), 0, 'succeeded')).toThrow('is not running');
    });

    it('3 on a failed step ignores the error and starts the next step; on the last step the job succeeds', async () => {
      fake.setJob(job());
      ok(await stepOp(STEP_OPERATION.IGNORE_ERROR));
      expect(statuses()).toEqual({ job: 2, steps: [3, 6, 2] });
      expect(current().steps[2]!.startTime).toBe(NOW);

      const last = job(step(STEP.SECOND, 3, 1, [host(1001, 9)]));
      last.steps[2] = step(STEP.THIRD, 4, 1, [host(1001, 104)]);
      fake.setJob(last);
      ok(await stepOp(STEP_OPERATION.IGNORE_ERROR, STEP.THIRD), STEP.THIRD);
      expect(statuses()).toEqual({ job: 3, steps: [3, 3, 6] });
    });

    it('3 on an abnormal step answers success and sets the job running, but nothing moves', async () => {
      fake.setJob(jobAt(9, 1));
      ok(await stepOp(STEP_OPERATION.IGNORE_ERROR));
      expect(statuses()).toEqual({ job: 2, steps: [3, 9, 1] });
    });

    it('6 confirms: the step succeeds and the next one runs; 9 ends step and job as 13; 10 asks again (7)', async () => {
      fake.setJob(jobAt(7, 3));
      ok(await stepOp(STEP_OPERATION.CONFIRM_TERMINATE));
      expect(statuses()).toEqual({ job: 13, steps: [3, 13, 1] });
      expect(current().steps[1]!.endTime).toBe(NOW);
      ok(await stepOp(STEP_OPERATION.CONFIRM_RESTART));
      expect(statuses()).toEqual({ job: 7, steps: [3, 7, 1] });
      expect(current().steps[1]!.endTime).toBeNull();
      ok(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE));
      expect(statuses()).toEqual({ job: 2, steps: [3, 3, 2] });
    });

    it('the next step waits when it is a confirmation: step and job 7', async () => {
      const def = job();
      def.steps[2] = step(STEP.THIRD, 1, 3, []);
      fake.setJob(def);
      ok(await stepOp(STEP_OPERATION.IGNORE_ERROR));
      expect(statuses()).toEqual({ job: 7, steps: [3, 6, 7] });
    });

    it('11 goes on from a terminated step; 12 skips a stopping step; 13 resumes a rolling pause', async () => {
      fake.setJob(jobAt(11, 1));
      ok(await stepOp(STEP_OPERATION.NEXT_STEP));
      expect(statuses()).toEqual({ job: 2, steps: [3, 11, 2] });

      fake.setJob(jobAt(10, 1));
      ok(await stepOp(STEP_OPERATION.SKIP));
      expect(statuses()).toEqual({ job: 2, steps: [3, 5, 2] });

      fake.setJob(jobAt(7, 2));
      ok(await stepOp(STEP_OPERATION.ROLLING_CONTINUE));
      expect(statuses()).toEqual({ job: 2, steps: [3, 2, 1] });
    });
  });

  describe('confirmers', () => {
    const roles = { bk_biz_maintainer: ['bob'] };

    it('with roles configured, only listed users and role members may confirm or terminate (1244016)', async () => {
      fake.setJob(jobAt(7, 3, { confirmUsers: ['carol'], confirmRoles: roles }));
      refused(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'alice'), 1244016, 'Only the confirmer of the step can operate');
      refused(await stepOp(STEP_OPERATION.CONFIRM_TERMINATE, STEP.SECOND, 'alice', 'zh'), 1244016, '只有步骤的确认人可以操作');
      expect(statuses()).toEqual({ job: undefined, steps: [3, 7, 1] });
      ok(await stepOp(STEP_OPERATION.CONFIRM_TERMINATE, STEP.SECOND, 'bob'));
      // Restarting the confirmation checks nobody.
      ok(await stepOp(STEP_OPERATION.CONFIRM_RESTART, STEP.SECOND, 'alice'));
      ok(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'carol'));
    });

    it('JOB_RESOURCE_TRIGGER_USER lets whoever launched the job confirm', async () => {
      fake.setJob(jobAt(7, 3, { confirmRoles: { JOB_RESOURCE_TRIGGER_USER: [] } }));
      refused(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'alice'), 1244016);
      ok(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'dave'));
    });

    it('without roles the check never fails, listed users or not (JOB’s checkConfirmUser)', async () => {
      fake.setJob(jobAt(7, 3, { confirmUsers: ['carol'] }));
      ok(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'alice'));
      fake.setJob(jobAt(7, 3));
      ok(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'alice'));
    });

    it('the status is checked before the confirmer', async () => {
      fake.setJob(jobAt(13, 3, { confirmRoles: roles }));
      refused(await stepOp(STEP_OPERATION.CONFIRM_CONTINUE, STEP.SECOND, 'alice'), 1241003);
    });
  });

  describe('operate_job_instance', () => {
    it('1 terminates a running job: job and active step 11, running hosts force-terminated, finished hosts kept', async () => {
      fake.setJob(jobAt(2, 1));
      ok(await jobOp(1), null);
      expect(statuses()).toEqual({ job: 11, steps: [3, 11, 1] });
      expect(current().steps[1]!.hosts.map((h) => [h.ipStatus, h.errorCode, h.endTime])).toEqual([
        [9, 0, T0 + 9000],
        [HOST_TERMINATED, 126, NOW],
      ]);
      // Resumable: retry or go on.
      ok(await stepOp(STEP_OPERATION.RETRY_FAILED));
      expect(current().steps[1]!.hosts.map((h) => h.ipStatus)).toEqual([9, 7]);
    });

    it('1 terminates a job waiting for confirmation; a finished job is 1241003', async () => {
      fake.setJob(jobAt(7, 3));
      ok(await jobOp(1), null);
      expect(statuses()).toEqual({ job: 11, steps: [3, 11, 1] });
      refused(await jobOp(1), 1241003, 'Unsupported operation');
      fake.setJob(job(step(STEP.SECOND, 3, 1, [host(1001, 9)]), { status: 3 }));
      refused(await jobOp(1), 1241003);
    });

    it('2 starts only a blank job (1241015); other codes are 1241002; unknown jobs 1244006', async () => {
      fake.setJob(jobAt(2, 1));
      refused(await jobOp(2), 1241015);
      refused(await jobOp(3), 1241002);
      refused(await esb('operate_job_instance', { ...SCOPE, job_instance_id: 5, operation_code: 1 }), 1244006);
      const blank = job(step(STEP.SECOND, 1, 1, []));
      blank.steps[0] = step(STEP.FIRST, 1, 1, [host(1001, 5)]);
      fake.setJob(blank);
      ok(await jobOp(2), null);
      expect(statuses()).toEqual({ job: 2, steps: [2, 1, 1] });
    });
  });

  describe('who, and how', () => {
    it('records each operation JOB carried out with the user it acted as, whichever way it came', async () => {
      fake.setJob(jobAt(4, 1));
      ok(await stepOp(STEP_OPERATION.RETRY_FAILED, STEP.SECOND, 'alice'));
      refused(await stepOp(STEP_OPERATION.RETRY_FAILED, STEP.SECOND, 'alice'), 1241003);
      const gw = await fetch(`${fake.gatewayUrl}/api/v3/operate_job_instance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Bkapi-Authorization': JSON.stringify({ ...creds(), bk_username: 'bob' }) },
        body: JSON.stringify({ ...SCOPE, job_instance_id: JOB_ID, operation_code: 1 }),
      });
      ok(await answer(gw), null);
      const sys = await fetch(`${fake.gatewayUrl}/api/v3/system/operate_step_instance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Bkapi-Authorization': JSON.stringify(creds()), 'X-Bk-Username': 'carol' },
        body: JSON.stringify({ ...SCOPE, job_instance_id: JOB_ID, step_instance_id: STEP.SECOND, operation_code: 11 }),
      });
      ok(await answer(sys));
      expect(fake.operations()).toEqual([
        { api: 'operate_step_instance', jobInstanceId: JOB_ID, stepInstanceId: STEP.SECOND, code: 2, username: 'alice' },
        { api: 'operate_job_instance', jobInstanceId: JOB_ID, stepInstanceId: null, code: 1, username: 'bob' },
        { api: 'operate_step_instance', jobInstanceId: JOB_ID, stepInstanceId: STEP.SECOND, code: 11, username: 'carol' },
      ]);
      expect(fake.requestsTo('operate_step_instance')).toBe(3);
      fake.reset();
      expect(fake.operations()).toEqual([]);
    });

    it('business access is checked first (9900403); a view_history denial does not stop an operation', async () => {
      fake.setJob(jobAt(4, 1));
      refused(await stepOp(STEP_OPERATION.RETRY_FAILED, STEP.SECOND, 'mallory'), 9900403);
      refused(await jobOp(1, 'mallory'), 9900403);
      ok(await stepOp(STEP_OPERATION.RETRY_FAILED, STEP.SECOND, 'victor'));
      fake.denyUser('victor');
      refused(await jobOp(1, 'victor'), 9900403);
      expect(fake.operations().map((o) => o.username)).toEqual(['victor']);
    });

    it('is POST only: a gateway GET is no resource (404), an ESB GET is 1240003; a system call without a user is 401', async () => {
      fake.setJob(jobAt(4, 1));
      const qs = new URLSearchParams({ ...SCOPE, job_instance_id: String(JOB_ID), step_instance_id: String(STEP.SECOND), operation_code: '2' });
      const gwGet = await answer(await fetch(`${fake.gatewayUrl}/api/v3/operate_step_instance?${qs.toString()}`, { headers: { 'X-Bkapi-Authorization': JSON.stringify({ ...creds(), bk_username: 'alice' }) } }));
      expect(gwGet.status).toBe(404);
      const esbQs = new URLSearchParams({ ...creds(), bk_username: 'alice' });
      qs.forEach((value, key) => esbQs.set(key, value));
      const esbGet = await answer(await fetch(`${fake.url}/api/c/compapi/v2/jobv3/operate_step_instance/?${esbQs.toString()}`));
      refused(esbGet, 1240003);
      const noUser = await fetch(`${fake.gatewayUrl}/api/v3/system/operate_job_instance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Bkapi-Authorization': JSON.stringify(creds()) },
        body: JSON.stringify({ ...SCOPE, job_instance_id: JOB_ID, operation_code: 1 }),
      });
      expect(noUser.status).toBe(401);
      expect(fake.operations()).toEqual([]);
      expect(statuses()).toEqual({ job: undefined, steps: [3, 4, 1] });
    });
  });

  describe('V3JobOperator against the fake', () => {
    const operator = (via: BkAuthMode) =>
      new V3JobOperator(new BkTransport({ baseUrl: via === 'esb' ? fake.url : fake.gatewayUrl, credentials: { appCode: fake.appCode, appSecret: fake.appSecret }, timeoutMs: 5000, maxResponseBytes: 1 << 20, auth: via, language: 'en' }), { via });
    const ALICE = { kind: 'username', username: 'alice' } as const;

    it.each(['esb', 'gateway', 'gateway-system'] as const)('%s: confirms, is refused with JOB’s code, and terminates', async (via) => {
      fake.setJob(jobAt(7, 3, { confirmRoles: { bk_biz_maintainer: ['alice'] } }));
      const ref = { bizId: 3, jobInstanceId: JOB_ID };
      await expect(operator(via).operateStep(ALICE, ref, STEP.SECOND, STEP_OPERATION.CONFIRM_CONTINUE)).resolves.toStrictEqual({ jobInstanceId: JOB_ID, stepInstanceId: STEP.SECOND });
      const err: unknown = await operator(via).operateStep(ALICE, ref, STEP.SECOND, STEP_OPERATION.CONFIRM_CONTINUE).catch((e: unknown) => e);
      expect(isBkJobError(err) && { kind: err.kind, code: err.code, bkMessage: err.bkMessage }).toEqual({ kind: 'api', code: 1241003, bkMessage: 'Unsupported operation' });
      await expect(operator(via).operateJob(ALICE, ref, 1)).resolves.toStrictEqual({ jobInstanceId: JOB_ID });
      expect(statuses()).toEqual({ job: 11, steps: [3, 3, 11] });
      expect(fake.operations().map((o) => [o.api, o.code, o.username])).toEqual([
        ['operate_step_instance', 6, 'alice'],
        ['operate_job_instance', 1, 'alice'],
      ]);
    });
  });
});
