/**
 * End to end: JOB console links pasted in Slack are unfurled. The real app, a signed
 * `link_shared` event per URL form, the fake BlueKing ESB (v2) and the fake Slack Web API: the
 * event is acked, the job is fetched as the user who pasted the link, and `chat.unfurl` gets the
 * compact card with the error lines. `/api_execute/<id>` links are unfurled only once the bot
 * knows the job's business.
 */
import { type Harness, TEST_SIGNING_SECRET, startHarness } from '../../dev/harness';
import { failedJob } from '../../dev/scenarios';
import { eventCallbackBody, postSigned } from '../../dev/slackRequests';
import { blockKitErrors } from '../helpers/blockKit';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const JOB = 'https://job.example.com';
let h: Harness;
let events = 0;

beforeAll(async () => {
  h = await startHarness({ env: { BK_JOB_WEB_URL: JOB } });
});

afterAll(async () => {
  await h.stop();
});

beforeEach(() => {
  h.slack.reset();
  h.esb.reset();
  h.esb.setJob(failedJob());
});

async function shareLinks(urls: readonly string[]): Promise<void> {
  events++;
  const body = eventCallbackBody({
    teamId: 'T0TEST001',
    eventId: `Ev0UNFURL${events}`,
    event: { type: 'link_shared', channel: CHANNEL, is_bot_user_member: true, user: ALICE, message_ts: `1718101800.00${events}00`, links: urls.map((url) => ({ domain: 'job.example.com', url })) },
  });
  const answer = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET, { contentType: 'application/json' });
  expect(answer.status).toBe(200);
}

/** The one chat.unfurl call: its target and each unfurled URL's section text. */
async function unfurled(): Promise<{ ts: unknown; texts: Record<string, string> }> {
  const [call] = await h.slack.waitFor('chat.unfurl');
  const raw = call!.args.unfurls;
  const unfurls = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, { blocks: Array<{ type: string; text?: { text: string } }> }>;
  for (const { blocks } of Object.values(unfurls)) expect(blockKitErrors(blocks)).toEqual([]);
  const texts = Object.fromEntries(Object.entries(unfurls).map(([url, { blocks }]) => [url, blocks[0]!.text!.text]));
  return { ts: call!.args.ts, texts };
}

const FAILED_CARD = [
  ':x: *Job 2001893471* · failed',
  'Failed at step 2 · Reload nginx: 3 of 8 hosts',
  '• *Task Timeout* · 1 host (`10.0.1.17`)',
  '    ↳ `waiting for upstream health endpoint http://127.0.0.1:8080/healthz ...`',
  '• *exit 1* · 1 host (`10.0.1.14`)',
  '    ↳ `nginx -t 2&gt;&amp;1 failed, abort reload`',
  '• *exit 2* · 1 host (`2:172.16.8.21`)',
  '    ↳ `nginx.service is not active, cannot reload.`',
].join('\n');

describe('link_shared', () => {
  it.each([
    ['a job page under biz/', `${JOB}/biz/3/execute/task/2001893471`],
    ['a quick-launch page from before scopes (<appId>/execute/…)', `${JOB}/3/execute/quick-launch/2001893471`],
    ['a step page (?stepInstanceId=)', `${JOB}/biz/3/execute/step/2001893471?stepInstanceId=2003771002`],
  ])('unfurls %s with the job as the user who pasted it', async (_name, url) => {
    await shareLinks([url]);
    const { ts, texts } = await unfurled();
    expect(ts).toBe(`1718101800.00${events}00`);
    expect(texts).toEqual({ [url]: FAILED_CARD });
    const [request] = h.esb.requests();
    expect(request!.query).toMatchObject({ bk_username: 'alice', bk_biz_id: '3', job_instance_id: '2001893471' });
  });

  it('leaves /api_execute/<id> alone while the bot does not know its business, and unfurls the rest of the message', async () => {
    // A job nobody here looked up or watches (the tests above made the bot know 2001893471).
    const bare = `${JOB}/api_execute/2001899999`;
    const scoped = `${JOB}/biz/3/execute/task/2001893471`;
    await shareLinks([bare, scoped]);
    const { texts } = await unfurled();
    expect(Object.keys(texts)).toEqual([scoped]);
    expect(h.esb.requests()).toHaveLength(1);
  });

  it('unfurls /api_execute/<id> and /api_execute_step/<id>/<step> once the user looked the job up', async () => {
    await h.slash('3 2001893471');
    await h.slack.waitFor('chat.postMessage');
    h.slack.reset();
    const bare = `${JOB}/api_execute/2001893471`;
    const step = `${JOB}/api_execute_step/2001893471/2003771002`;
    await shareLinks([bare, step]);
    const { texts } = await unfurled();
    expect(texts).toEqual({ [bare]: FAILED_CARD, [step]: FAILED_CARD });
  });

  it('ignores links that are not the JOB console', async () => {
    await shareLinks([`${JOB}/help/faq`, 'https://elsewhere.example.com/biz/3/execute/task/2001893471']);
    // A link that is one comes after, in its own event: only it is unfurled.
    await shareLinks([`${JOB}/biz/3/execute/task/2001893471`]);
    const { texts } = await unfurled();
    expect(Object.keys(texts)).toEqual([`${JOB}/biz/3/execute/task/2001893471`]);
    expect(h.slack.calls('chat.unfurl')).toHaveLength(1);
  });
});
