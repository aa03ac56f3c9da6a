/**
 * End to end: an IPv6-only host (v3 gives `ip` "" or null with its bk_host_id) is shown as
 * `host <id>`, gets a log button, and its log is fetched by bk_host_id (bkjob-source-facts A-1).
 */
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const { slack, esb } = useFakes();
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ slack, esb, env: { BK_JOB_API_VERSION: 'v3' } });
});
afterAll(async () => {
  await h.stop({ keepFakes: true });
});

/** The failed scenario with 10.0.1.14 (bk_host_id 1004) known to CMDB by its IPv6 address only. */
function ipv6OnlyJob() {
  const job = failedJob();
  return { ...job, steps: job.steps.map((s) => ({ ...s, hosts: s.hosts.map((host) => (host.bkHostId === 1004 ? { ...host, ip: '' } : host)) })) };
}

it('names the host by its id, offers its log, and fetches that log by bk_host_id', async () => {
  esb.setJob(ipv6OnlyJob());
  await h.slash('3 2001893471');
  const [post] = await slack.waitFor('chat.postMessage');
  const blocks = JSON.stringify(post!.args.blocks);
  expect(blocks).toContain('1 host: `host 1004`');
  const buttons = (post!.args.blocks as Array<{ type: string; elements?: Array<{ text: { text: string }; value?: string; action_id: string }> }>).find((b) => b.type === 'actions' && String((b as { block_id?: string }).block_id).startsWith('joblog_host_buttons'))!.elements!;
  const button = buttons.find((b) => b.text.text === 'host 1004 · exit 1')!;
  expect(JSON.parse(button.value!)).toEqual({ b: 3, j: 2001893471, s: 2003771002, c: 0, i: '', h: 1004 });

  const before = esb.requests().length;
  await h.click({ actionId: button.action_id, value: button.value!, userId: ALICE, channelId: CHANNEL, responseId: 'log' });
  const [response] = await slack.waitForResponses(1);
  expect(JSON.stringify(response!.body)).toContain(':page_facing_up: Log of `host 1004` in *Reload nginx*');
  const ipLog = esb.requests().slice(before).find((r) => r.path.endsWith('get_job_instance_ip_log/'));
  expect(ipLog!.body).toMatchObject({ bk_host_id: 1004, step_instance_id: 2003771002 });
  expect(ipLog!.body).not.toHaveProperty('ip');
});
