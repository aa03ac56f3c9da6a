/**
 * Unit tests of the link_shared listener: each JOB console link is unfurled with the job's
 * summary fetched as the user who pasted it; `/api_execute/<id>` links only when the bot knows
 * the job's business (a watch in the channel, or the user's recent lookups); other links, unmapped
 * users and failures leave the message alone.
 */
import { BkJobError } from '../../../src/bkjob/errors';
import type { JobRef } from '../../../src/bkjob/model';
import { renderJobUnfurl } from '../../../src/blocks/unfurl';
import { type LinkSharedArgs, linkShared } from '../../../src/slack/listeners/events/linkShared';
import { buildJobSummary } from '../../../src/summary/build';
import { FAILED_REF, v2FixtureJob } from '../../helpers/jobs';
import { ACTOR, CHANNEL_ID, USER_ID, fakeClient, fakeDeps } from '../../helpers/listenerFakes';

type LinkEvent = LinkSharedArgs['event'];

const BIZ_LINK = 'https://job.example.com/biz/3/execute/task/2001893471';
const STEP_LINK = 'https://job.example.com/api_execute_step/2001893471/2003771002';
const BARE_LINK = 'https://job.example.com/api_execute/2001893471';

function linkEvent(urls: readonly string[], extra: Partial<LinkEvent> = {}): LinkEvent {
  return {
    type: 'link_shared',
    channel: CHANNEL_ID,
    is_bot_user_member: true,
    user: USER_ID,
    message_ts: '1718101800.000400',
    links: urls.map((url) => ({ domain: new URL(url).hostname, url })),
    event_ts: '1718101800.000500',
    ...extra,
  };
}

function setup(urls: readonly string[], extra: Partial<LinkEvent> = {}) {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  fakes.jobs.summarize.mockImplementation((_actor, ref: JobRef) => Promise.resolve(buildJobSummary(v2FixtureJob('failed', ref))));
  return { ...fakes, client, args: { event: linkEvent(urls, extra), client: webClient } satisfies LinkSharedArgs };
}

const unfurlOf = (ref: JobRef, stepInstanceId: number | null = null) =>
  renderJobUnfurl(buildJobSummary(v2FixtureJob('failed', ref)), { lang: 'en', jobUrl: `https://job.example.com/api_execute/${ref.jobInstanceId}`, stepInstanceId });

describe('linkShared', () => {
  it('unfurls a business link with the summary fetched as the user who pasted it', async () => {
    const t = setup([BIZ_LINK]);
    await linkShared(t.args, t.deps);
    expect(t.resolveActor).toHaveBeenCalledWith(USER_ID);
    expect(t.jobs.summarize).toHaveBeenCalledWith(ACTOR, FAILED_REF);
    expect(t.client.chat.unfurl).toHaveBeenCalledWith({ channel: CHANNEL_ID, ts: '1718101800.000400', unfurls: { [BIZ_LINK]: unfurlOf(FAILED_REF) } });
  });

  it('a business set link names its set', async () => {
    const link = 'https://job.example.com/biz_set/9/execute/step/2001893471?stepInstanceId=2003771002';
    const t = setup([link]);
    await linkShared(t.args, t.deps);
    expect(t.jobs.summarize).toHaveBeenCalledWith(ACTOR, { bizId: 9, jobInstanceId: 2001893471, scopeType: 'biz_set' });
  });

  it('api_execute links: unfurled with the business a watch in the channel knows', async () => {
    const t = setup([BARE_LINK, STEP_LINK]);
    t.watchService.watchedRef.mockResolvedValue(FAILED_REF);
    await linkShared(t.args, t.deps);
    expect(t.watchService.watchedRef).toHaveBeenCalledWith(CHANNEL_ID, 2001893471);
    // Both links are the same job: one BlueKing call.
    expect(t.jobs.summarize).toHaveBeenCalledTimes(1);
    expect(t.client.chat.unfurl).toHaveBeenCalledWith({ channel: CHANNEL_ID, ts: '1718101800.000400', unfurls: { [BARE_LINK]: unfurlOf(FAILED_REF), [STEP_LINK]: unfurlOf(FAILED_REF, 2003771002) } });
  });

  it('api_execute links: unfurled with the business of the user’s recent lookup', async () => {
    const t = setup([BARE_LINK]);
    t.jobs.recentRef.mockReturnValue(FAILED_REF);
    await linkShared(t.args, t.deps);
    expect(t.jobs.recentRef).toHaveBeenCalledWith(ACTOR, 2001893471);
    expect(t.client.chat.unfurl).toHaveBeenCalledTimes(1);
  });

  it('api_execute links with no known business are left alone: nothing fetched, no unfurl', async () => {
    const t = setup([BARE_LINK]);
    await linkShared(t.args, t.deps);
    expect(t.jobs.summarize).not.toHaveBeenCalled();
    expect(t.client.chat.unfurl).not.toHaveBeenCalled();
  });

  it('links that are not JOB console links, and a bot without BK_JOB_WEB_URL, do nothing', async () => {
    const t = setup(['https://job.example.com/help', 'https://elsewhere.example.com/biz/3/execute/task/1']);
    await linkShared(t.args, t.deps);
    const unset = setup([BIZ_LINK]);
    await linkShared(unset.args, { ...unset.deps, jobWebUrl: null });
    expect([t.resolveActor, t.jobs.summarize, t.client.chat.unfurl, unset.jobs.summarize, unset.client.chat.unfurl].map((m) => m.mock.calls.length)).toEqual([0, 0, 0, 0, 0]);
  });

  it('a user with no BlueKing user gets nothing unfurled', async () => {
    const t = setup([BIZ_LINK]);
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'email', why: 'no_email' } });
    await linkShared(t.args, t.deps);
    expect(t.jobs.summarize).not.toHaveBeenCalled();
    expect(t.client.chat.unfurl).not.toHaveBeenCalled();
  });

  it('a link BlueKing refuses is left plain; the others are still unfurled', async () => {
    const other = 'https://job.example.com/biz/4/execute/task/55';
    const t = setup([BIZ_LINK, other]);
    t.jobs.summarize.mockImplementation((_actor, ref: JobRef) => (ref.bizId === 4 ? Promise.reject(new BkJobError('no permission', { kind: 'api' })) : Promise.resolve(buildJobSummary(v2FixtureJob('failed', ref)))));
    await linkShared(t.args, t.deps);
    expect(t.client.chat.unfurl).toHaveBeenCalledWith({ channel: CHANNEL_ID, ts: '1718101800.000400', unfurls: { [BIZ_LINK]: unfurlOf(FAILED_REF) } });
    expect(t.info).toHaveBeenCalledWith(expect.objectContaining({ jobInstanceId: 55 }), 'JOB link not unfurled');
  });

  it('a link in the composer is unfurled by unfurl_id and source', async () => {
    const t = setup([BIZ_LINK], { unfurl_id: 'C123456.7890.abc', source: 'composer', message_ts: 'C123456.7890' });
    await linkShared(t.args, t.deps);
    expect(t.client.chat.unfurl).toHaveBeenCalledWith({ unfurl_id: 'C123456.7890.abc', source: 'composer', unfurls: { [BIZ_LINK]: unfurlOf(FAILED_REF) } });
  });

  it('a failing chat.unfurl is logged, not thrown', async () => {
    const t = setup([BIZ_LINK]);
    t.client.chat.unfurl.mockRejectedValue(new Error('cannot_unfurl_url'));
    await expect(linkShared(t.args, t.deps)).resolves.toBeUndefined();
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ channel: CHANNEL_ID }), 'chat.unfurl failed');
  });
});
