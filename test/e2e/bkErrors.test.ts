/**
 * End to end: `/joblog <biz> <job>` against the fake BlueKing when JOB refuses, answered privately
 * with BlueKing's message and the bot's own sentence for the code.
 */
import { type Harness, startHarness } from '../../dev/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

beforeEach(() => {
  h.slack.reset();
  h.esb.reset();
});

/** The private reply's section lines (the request id, in a context block, left out). */
async function privateReply(): Promise<string[]> {
  const [response] = await h.slack.waitForResponses(1);
  const body = response!.body as { response_type: string; blocks: Array<{ type: string; text?: { text: string } }> };
  expect(body.response_type).toBe('ephemeral');
  expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
  return body.blocks.flatMap((b) => (b.type === 'section' && b.text ? b.text.text.split('\n') : []));
}

describe('/joblog explains the JOB error codes', () => {
  it('1244006: no such job in this business', async () => {
    await h.slash('3 42');
    expect(await privateReply()).toEqual([
      ':warning: Could not load job instance 42 in business 3.',
      'BlueKing JOB error 1244006: Task instance does not exist',
      'There is no such job instance in this business, or it belongs to another business. Check both numbers: the job instance must belong to that business. (For a host log, it can also mean the step is not in that job.)',
    ]);
  });

  it('1243049: no such business or business set', async () => {
    // 8000000–9999999 are business sets to JOB (EsbAppScopeReq); the fake knows none without jobs.
    await h.slash('8000001 42');
    const lines = await privateReply();
    expect(lines[0]).toBe(':warning: Could not load job instance 42 in business 8000001.');
    expect(lines[1]).toMatch(/^BlueKing JOB error 1243049: /);
    expect(lines.slice(2)).toEqual(['There is no such business or business set, or it is archived. Check the id; write a business set as `set:` and its id (e.g. `set:5`).']);
    expect(h.esb.requests()[0]!.query).toMatchObject({ bk_biz_id: '8000001', job_instance_id: '42' });
  });
});
