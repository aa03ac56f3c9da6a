/**
 * BkTransport with a queue (the people's BlueKing budget, util/workQueue.ts): every call, streamed
 * ones included, waits its turn in it, and a full line is a `busy` BkJobError at once, safe to show.
 */
import nock from 'nock';
import { BkJobError } from '../../src/bkjob/errors';
import { BUSY_MESSAGE, BUSY_OWN_MESSAGE, type BkCallQueue, type BodyReader } from '../../src/bkjob/transport';
import { messages } from '../../src/i18n';
import { WorkQueue } from '../../src/util/workQueue';
import { ESB, JSON_HEADERS, USER, expectNoSecrets, failure, transport, useNock } from '../helpers/bk';

const PATH = '/api/c/compapi/v2/jobv3/get_job_instance_status/';
const REQUEST = { method: 'GET', path: PATH, actor: USER, params: { job_instance_id: 1 } } as const;
const OK = JSON.stringify({ result: true, code: 0, data: { ok: 1 }, job_request_id: 'req-1' });

useNock();

/** A queue that counts what goes through it. */
function countingQueue(inner: BkCallQueue): BkCallQueue & { readonly runs: number } {
  let runs = 0;
  return {
    get runs() {
      return runs;
    },
    run<T>(work: () => Promise<T>, options?: { readonly waitInLine?: boolean }): Promise<T> {
      runs++;
      return inner.run(work, options);
    },
  };
}

function textReader(): BodyReader<string> {
  const chunks: Buffer[] = [];
  return { push: (chunk) => void chunks.push(chunk), finish: () => Buffer.concat(chunks).toString('utf8') };
}

describe('BkTransport with a queue', () => {
  it('sends every call, streamed ones too, through the queue', async () => {
    nock(ESB).get(PATH).query(true).times(2).reply(200, OK, JSON_HEADERS);
    const queue = countingQueue(new WorkQueue({ limit: 1, maxWaiting: 5 }));
    const bk = transport({ queue });
    expect(await bk.call(REQUEST)).toEqual({ data: { ok: 1 }, requestId: 'req-1' });
    expect(await bk.callStreaming(REQUEST, () => textReader())).toBe(OK);
    expect(queue.runs).toBe(2);
  });

  it('holds calls beyond the limit until one is done, in order', async () => {
    nock(ESB).get(PATH).query(true).times(3).delay(50).reply(200, OK, JSON_HEADERS);
    const queue = new WorkQueue({ limit: 1, maxWaiting: 5 });
    const bk = transport({ queue });
    const done: number[] = [];
    const calls = [0, 1, 2].map((i) => bk.call(REQUEST).then(() => done.push(i)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.active()).toBe(1);
    expect(queue.waiting()).toBe(2);
    await Promise.all(calls);
    expect(done).toEqual([0, 1, 2]);
  });

  it('an optional call (the log for an error line) does not wait in line: busy at once while every slot is taken', async () => {
    nock(ESB).get(PATH).query(true).delay(100).reply(200, OK, JSON_HEADERS);
    const queue = new WorkQueue({ limit: 1, maxWaiting: 5 });
    const bk = transport({ queue });
    const first = bk.call(REQUEST);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(bk.call({ ...REQUEST, optional: true })).rejects.toMatchObject({ kind: 'busy' });
    expect(queue.waiting()).toBe(0);
    await first;
  });

  it('answers a full line at once with a busy BkJobError, sends nothing, and tells onCall', async () => {
    const slow = nock(ESB).get(PATH).query(true).delay(200).reply(200, OK, JSON_HEADERS);
    const onCall = jest.fn();
    const bk = transport({ queue: new WorkQueue({ limit: 1, maxWaiting: 0 }), onCall });
    const first = bk.call(REQUEST);
    const started = Date.now();
    const err = await failure(bk.call(REQUEST));
    expect(Date.now() - started).toBeLessThan(150);
    expect(err).toBeInstanceOf(BkJobError);
    expect(err.kind).toBe('busy');
    expect(err.message).toBe(BUSY_MESSAGE);
    expect(err.message).toBe("BlueKing JOB is busy answering other people's requests.");
    expect(err.transient).toBe(true);
    expectNoSecrets(err);
    expect(onCall).toHaveBeenCalledWith('get_job_instance_status', 'busy', 0);
    await first;
    slow.done();
    expect(onCall).toHaveBeenLastCalledWith('get_job_instance_status', 'ok', expect.any(Number));
    // A streamed call is refused the same way.
    const again = nock(ESB).get(PATH).query(true).delay(100).reply(200, OK, JSON_HEADERS);
    const held = bk.call(REQUEST);
    expect((await failure(bk.callStreaming(REQUEST, () => textReader()))).kind).toBe('busy');
    await held;
    again.done();
  });

  it('waits by person: the acting BlueKing users take turns, and one past their share is told it is their own line', async () => {
    nock(ESB).get(PATH).query(true).times(4).delay(30).reply(200, OK, JSON_HEADERS);
    const bk = transport({ queue: new WorkQueue({ limit: 1, maxWaiting: 10, maxWaitingPerOwner: 2 }) });
    const alice = { kind: 'username', username: 'alice' } as const;
    const bob = { kind: 'username', username: 'bob' } as const;
    const done: string[] = [];
    const call = (actor: typeof alice | typeof bob, name: string) => bk.call({ ...REQUEST, actor }).then(() => done.push(name));
    const calls = [call(alice, 'alice0'), call(alice, 'alice1'), call(alice, 'alice2')];
    const refused = await failure(bk.call({ ...REQUEST, actor: alice }));
    expect(refused.kind).toBe('busy');
    expect(refused.ownLine).toBe(true);
    expect(refused.message).toBe(BUSY_OWN_MESSAGE);
    expect(refused.message).toBe('BlueKing JOB is slow right now, and several of your requests are already waiting for it.');
    expect(messages('zh-CN').bkError(refused)).toBe('蓝鲸作业平台当前响应较慢，你已有多个请求在排队。');
    expectNoSecrets(refused);
    calls.push(call(bob, 'bob0'));
    await Promise.all(calls);
    // bob's one call went before alice's last, though it came after it.
    expect(done).toEqual(['alice0', 'alice1', 'bob0', 'alice2']);
  });

  it('lets BlueKing errors through the queue unchanged, and frees the slot', async () => {
    nock(ESB).get(PATH).query(true).reply(200, JSON.stringify({ result: false, code: 1244006, message: 'no such job' }), JSON_HEADERS);
    nock(ESB).get(PATH).query(true).reply(200, OK, JSON_HEADERS);
    const queue = new WorkQueue({ limit: 1, maxWaiting: 0 });
    const bk = transport({ queue });
    const err = await failure(bk.call(REQUEST));
    expect(err.kind).toBe('api');
    expect(err.code).toBe(1244006);
    expect(queue.active()).toBe(0);
    expect(await bk.call(REQUEST)).toEqual({ data: { ok: 1 }, requestId: 'req-1' });
  });

  it('without a queue, calls go straight out however many are in flight', async () => {
    nock(ESB).get(PATH).query(true).times(20).delay(20).reply(200, OK, JSON_HEADERS);
    const bk = transport();
    const results = await Promise.all(Array.from({ length: 20 }, () => bk.call(REQUEST)));
    expect(results).toHaveLength(20);
  });
});
