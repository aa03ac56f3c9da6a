/**
 * Unit tests of the subscription listeners: `/joblog subscribe|unsubscribe|mute`, the Mute and
 * Stop buttons (on a message and on App Home), the subscribe modal and its cron/plan menu. The
 * callbacks are called directly with fake Bolt arguments; subscriptions are real (a
 * SubscriptionService over a memory store) and JOB's catalog is a fake.
 */
import type { BlockAction, ButtonAction, PlainTextInputAction, RespondArguments, ViewOutput } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { CronInfo, JobPlanInfo } from '../../../src/bkjob/catalog';
import { BkJobError } from '../../../src/bkjob/errors';
import { renderHome } from '../../../src/blocks/home';
import { renderSubscribeModal, renderTargetOptions } from '../../../src/blocks/subscribeModal';
import { renderSubscribed } from '../../../src/blocks/subscription';
import { type CommandArgs, joblogCommand } from '../../../src/slack/listeners/commands/joblog';
import { type SubscriptionButtonArgs, muteSubscriptionButton, stopSubscriptionButton } from '../../../src/slack/listeners/actions/subscriptionButtons';
import { type TargetOptionsArgs, subscribeTargetOptions } from '../../../src/slack/listeners/options/subscribeTargetOptions';
import { type BizEnteredArgs, type SubscribeSubmitArgs, subscribeBizEntered, subscribeSubmitted } from '../../../src/slack/listeners/views/subscribeModal';
import type { NewSubscription, Subscription } from '../../../src/watch/subscriptionTypes';
import {
  ACTOR,
  CHANNEL_ID,
  DM_CHANNEL_ID,
  type Fakes,
  NOW,
  OTHER_CHANNEL_ID,
  REQUEST_ID,
  USER_ID,
  blockActionBody,
  buttonAction,
  callOrder,
  context,
  fakeAck,
  fakeClient,
  fakeDeps,
  fakeRespond,
  platformError,
  slashCommand,
} from '../../helpers/listenerFakes';

const BOB = 'U0BOB0001';
const SUB_ID = 'sub-000001';
const TARGET = 'Cron *nightly-backup* (#12, biz 3)';

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
const PLAN: JobPlanInfo = { id: 7, name: 'backup all', jobTemplateId: 4, creator: 'admin', createTime: null, lastModifyUser: null, lastModifyTime: null };

/** The ephemeral reply whose text is `text` (the `ephemeral()` helper's shape). */
function ephemeralReply(text: string) {
  return { response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A one-section channel message, as chat.postMessage is called for it. */
function channelPost(text: string, channel = CHANNEL_ID) {
  return { channel, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }], unfurl_links: false, unfurl_media: false };
}

/** fakeClient plus what the modal and its private replies use. */
function fullClient() {
  const { fake } = fakeClient();
  const views = { ...fake.views, open: jest.fn().mockResolvedValue({ ok: true }), update: jest.fn().mockResolvedValue({ ok: true }) };
  const chat = { ...fake.chat, postEphemeral: jest.fn().mockResolvedValue({ ok: true }) };
  const client = { ...fake, views, chat };
  return { client, webClient: client as unknown as WebClient };
}

function newSubscription(overrides: Partial<NewSubscription> = {}): NewSubscription {
  return {
    channelId: CHANNEL_ID,
    scope: { bizId: 3 },
    target: { kind: 'cron', id: 12, name: 'nightly-backup', planId: 7, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', templateId: null },
    subscriberId: USER_ID,
    bkUsername: null,
    notifyOn: 'failure',
    digestAt: null,
    createdAt: NOW - 86_400_000,
    ...overrides,
  };
}

async function stored(fakes: Fakes, overrides: Partial<NewSubscription> = {}): Promise<Subscription> {
  const created = await fakes.subscriptionStore.createSubscription(newSubscription(overrides));
  if (!created.created) throw new Error('setup: subscription not created');
  return created.subscription;
}

function commandSetup(fakes: Fakes = fakeDeps()) {
  const { client, webClient } = fullClient();
  const ack = fakeAck<string | RespondArguments>();
  const respond = fakeRespond();
  const run = (text: string, userId = USER_ID) => {
    const args: CommandArgs = { command: slashCommand(text, userId), ack, respond, client: webClient, context: context() };
    return joblogCommand(args, fakes.deps);
  };
  return { ...fakes, client, webClient, ack, respond, run };
}

describe('/joblog subscribe', () => {
  it('acks, checks the cron with JOB as the user, stores the subscription and confirms in the channel', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    await t.run('subscribe 3 cron 12');

    expect(callOrder({ ack: t.ack, getCron: t.catalog.getCron, post: t.client.chat.postMessage })).toEqual(['ack', 'getCron', 'post']);
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.catalog.getCron).toHaveBeenCalledWith(ACTOR, { bizId: 3 }, 12);
    const subs = await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID);
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({
      id: SUB_ID,
      channelId: CHANNEL_ID,
      scope: { bizId: 3 },
      target: { kind: 'cron', id: 12, name: 'nightly-backup', planId: 7, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', templateId: null },
      subscriberId: USER_ID,
      bkUsername: null,
      notifyOn: 'failure',
      digestAt: null,
      status: 'active',
      createdAt: NOW,
    });

    const confirmation = renderSubscribed(subs[0]!, 'en', 480);
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(t.client.chat.postMessage).toHaveBeenCalledWith({ channel: CHANNEL_ID, text: confirmation.text, blocks: confirmation.blocks, unfurl_links: false, unfurl_media: false });
    const posted = t.client.chat.postMessage.mock.calls[0][0] as { text: string };
    expect(posted.text).toBe(`:bell: <@${USER_ID}> subscribed this channel to ${TARGET}: Failures and waits, and the recovery. Subscription \`${SUB_ID}\`. runs \`0 3 * * *\` (Asia/Shanghai)`);
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.info).toHaveBeenCalledWith({ subscriptionId: SUB_ID, channel: CHANNEL_ID, user: USER_ID, bizId: 3, kind: 'cron', targetId: 12 }, 'subscription created');
  });

  it('subscribes to a plan in a business set with --on and --digest', async () => {
    const t = commandSetup();
    t.catalog.getJobPlan.mockResolvedValue(PLAN);
    await t.run('subscribe set:8000001 plan 7 --on finish --digest 9:30');
    expect(t.catalog.getJobPlan).toHaveBeenCalledWith(ACTOR, { bizId: 8000001, scopeType: 'biz_set' }, 7);
    expect(t.catalog.getCron).not.toHaveBeenCalled();
    const [sub] = await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID);
    expect(sub).toMatchObject({ scope: { bizId: 8000001, scopeType: 'biz_set' }, target: { kind: 'plan', id: 7, planId: 7, templateId: 4 }, notifyOn: 'finish', digestAt: '09:30' });
    const posted = t.client.chat.postMessage.mock.calls[0][0] as { text: string };
    expect(posted.text).toContain('Plan *backup all* (#7, biz set:8000001): Every finished run.');
    expect(posted.text).toContain('Daily digest at 09:30 (+08:00).');
  });

  it("refuses the same cron twice in a channel, naming who subscribed first (even for someone else's try)", async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    await t.run('subscribe 3 cron 12');
    t.client.chat.postMessage.mockClear();
    await t.run('subscribe 3 cron 12 --on all', BOB);
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(`This channel already follows it: <@${USER_ID}> subscribed (\`${SUB_ID}\`).`));
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID)).toHaveLength(1);
  });

  it('lets another channel follow the same cron', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    await stored(t, { channelId: OTHER_CHANNEL_ID });
    await t.run('subscribe 3 cron 12');
    expect(t.respond).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID)).toHaveLength(1);
  });

  it('refuses past the per-channel limit (3 here), counting only this channel', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    for (const id of [1, 2, 3]) await stored(t, { target: { ...newSubscription().target, id } });
    await stored(t, { channelId: OTHER_CHANNEL_ID });
    await t.run('subscribe 3 cron 12');
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply('This channel already has 3 subscriptions, the most allowed. Unsubscribe one first (`/joblog list`).'));
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.countSubscriptionsInChannel(CHANNEL_ID)).toBe(3);
  });

  it('frees a place when a subscription ends', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    const subs = [];
    for (const id of [1, 2, 3]) subs.push(await stored(t, { target: { ...newSubscription().target, id } }));
    await t.subscriptionStore.updateSubscription(subs[0]!.id, null, { status: 'ended' });
    await t.run('subscribe 3 cron 12');
    expect(t.respond).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.countSubscriptionsInChannel(CHANNEL_ID)).toBe(3);
  });

  it('says there is no such cron (JOB answered none), and stores nothing', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(null);
    await t.run('subscribe 3 cron 12');
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply('There is no cron #12 in business 3. Check the id in the JOB console (Cron jobs).'));
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.listActiveSubscriptions()).toEqual([]);
  });

  it('says there is no such plan', async () => {
    const t = commandSetup();
    t.catalog.getJobPlan.mockResolvedValue(null);
    await t.run('subscribe 3 plan 7');
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply('There is no plan #7 in business 3. Check the id in the JOB console (Job plans).'));
  });

  it("gives BlueKing's own words privately when the catalog call fails", async () => {
    const t = commandSetup();
    t.catalog.getCron.mockRejectedValue(
      new BkJobError('BlueKing JOB error 9900403: user admin has no permission', { kind: 'api', code: 9900403, bkMessage: 'user admin has no permission', requestId: 'esb-42', missingPermissions: ['access_business'] }),
    );
    await t.run('subscribe 3 cron 12');
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':warning: Could not read cron #12 of business 3 from JOB. BlueKing JOB error 9900403: user admin has no permission',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: ":warning: Could not read cron #12 of business 3 from JOB.\nBlueKing JOB error 9900403: user admin has no permission\nThe bot's BlueKing user lacks: access_business. Ask a BlueKing admin to grant it in the permission center (IAM).",
          },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'Request id: `esb-42`' }] },
      ],
    });
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ channel: CHANNEL_ID, user: USER_ID, action: 'subscribe', bizId: 3 }), 'BlueKing call failed');
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.listActiveSubscriptions()).toEqual([]);
  });

  it('gives the request id for an unexpected failure', async () => {
    const t = commandSetup();
    t.catalog.getCron.mockRejectedValue(new TypeError('boom'));
    await t.run('subscribe 3 cron 12');
    const text = `:warning: Something went wrong on the bot's side. Please try again; if it keeps happening, give your admin this reference: \`${REQUEST_ID}\`.`;
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(text));
  });

  it('tells an unmapped user why, and asks JOB nothing', async () => {
    const t = commandSetup();
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'not_found', email: 'eve@corp.com' } });
    await t.run('subscribe 3 cron 12');
    expect(t.catalog.getCron).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledWith(
      ephemeralReply(":no_entry: I don't know your BlueKing user, so I asked BlueKing JOB for nothing. No BlueKing user has your email `eve@corp.com` in bk-user. Ask a BlueKing admin to set it on your BlueKing account, then try again."),
    );
    expect(await t.subscriptionStore.listActiveSubscriptions()).toEqual([]);
  });

  it('stores the BlueKing user of a user acting as themselves', async () => {
    const t = commandSetup();
    const alice = { kind: 'username' as const, username: 'alice' };
    t.resolveActor.mockResolvedValue({ kind: 'mapped', actor: alice, bkUsername: 'alice' });
    t.catalog.getCron.mockResolvedValue(CRON);
    await t.run('subscribe 3 cron 12');
    expect(t.catalog.getCron).toHaveBeenCalledWith(alice, { bizId: 3 }, 12);
    expect((await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID))[0]).toMatchObject({ bkUsername: 'alice' });
  });

  it.each(['not_in_channel', 'channel_not_found', 'is_archived'])('undoes the subscription when the bot cannot post in the channel (%s), and says how to fix it', async (code) => {
    const t = commandSetup();
    t.catalog.getCron.mockResolvedValue(CRON);
    t.client.chat.postMessage.mockRejectedValue(platformError(code));
    await t.run('subscribe 3 cron 12');
    expect(await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID)).toEqual([]);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'ended' });
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply("I can't post in this channel. Invite me with `/invite @joblog` and try again."));
  });

  it('opens the modal for the channel on "subscribe" alone, asking JOB nothing', async () => {
    const t = commandSetup();
    await t.run('subscribe');
    expect(callOrder({ ack: t.ack, open: t.client.views.open })).toEqual(['ack', 'open']);
    expect(t.client.views.open).toHaveBeenCalledWith({ trigger_id: '1.2.3', view: renderSubscribeModal('en', CHANNEL_ID, null) });
    expect(t.catalog.getCron).not.toHaveBeenCalled();
    expect(t.respond).not.toHaveBeenCalled();
  });
});

describe('/joblog unsubscribe and mute', () => {
  it('ends the subscription and says so in the channel, naming who did it', async () => {
    const t = commandSetup();
    await stored(t);
    await t.run(`unsubscribe ${SUB_ID}`, BOB);
    expect(callOrder({ ack: t.ack, post: t.client.chat.postMessage })).toEqual(['ack', 'post']);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'ended' });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(channelPost(`:no_bell: <@${BOB}> unsubscribed this channel from ${TARGET}.`));
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.info).toHaveBeenCalledWith({ subscriptionId: SUB_ID, channel: CHANNEL_ID, user: BOB }, 'subscription ended');
  });

  it('says it through the response URL where the bot may not post', async () => {
    const t = commandSetup();
    await stored(t);
    t.client.chat.postMessage.mockRejectedValue(platformError('not_in_channel'));
    await t.run(`unsubscribe ${SUB_ID}`);
    const text = `:no_bell: <@${USER_ID}> unsubscribed this channel from ${TARGET}.`;
    expect(t.respond).toHaveBeenCalledWith({ response_type: 'in_channel', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'ended' });
  });

  it.each([
    ['an unknown id', 'sub-999999', CHANNEL_ID, 'active'],
    ["another channel's subscription", SUB_ID, OTHER_CHANNEL_ID, 'active'],
  ])('answers "No active subscription" for %s, changing nothing', async (_what, id, channelOfSub) => {
    const t = commandSetup();
    await stored(t, { channelId: channelOfSub });
    await t.run(`unsubscribe ${id}`);
    await t.run(`mute ${id}`);
    expect(t.respond).toHaveBeenCalledTimes(2);
    expect(t.respond).toHaveBeenNthCalledWith(1, ephemeralReply(`No active subscription \`${id}\` in this channel. \`/joblog list\` shows them.`));
    expect(t.respond).toHaveBeenNthCalledWith(2, ephemeralReply(`No active subscription \`${id}\` in this channel. \`/joblog list\` shows them.`));
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'active', state: { mutedUntil: null } });
  });

  it('answers "No active subscription" for one that already ended', async () => {
    const t = commandSetup();
    await stored(t);
    await t.subscriptionStore.updateSubscription(SUB_ID, null, { status: 'ended' });
    await t.run(`unsubscribe ${SUB_ID}`);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(`No active subscription \`${SUB_ID}\` in this channel. \`/joblog list\` shows them.`));
  });

  it('mutes for 24 hours by default and says until when in the channel', async () => {
    const t = commandSetup();
    await stored(t);
    await t.run(`mute ${SUB_ID}`);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: NOW + 86_400_000, mutedAt: NOW, mutedBy: USER_ID } });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(
      channelPost(
        `:zzz: <@${USER_ID}> muted ${TARGET} until <!date^1718188200^{date_short_pretty} {time}|2024-06-12 18:30:00 UTC+08:00>. Runs are still recorded; one line will say what happened meanwhile.`,
      ),
    );
    expect(t.info).toHaveBeenCalledWith({ subscriptionId: SUB_ID, channel: CHANNEL_ID, user: USER_ID, mutedUntil: NOW + 86_400_000 }, 'subscription muted');
  });

  it('mutes for the given time; muting again keeps when the mute began', async () => {
    const t = commandSetup();
    await stored(t);
    const first = NOW - 3_600_000;
    const sub = await t.subscriptionStore.getSubscription(SUB_ID);
    await t.subscriptionStore.updateSubscription(SUB_ID, null, { state: { ...sub!.state, mutedUntil: NOW + 60_000, mutedAt: first, mutedBy: BOB } });
    await t.run(`mute ${SUB_ID} 2h`);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: NOW + 2 * 3_600_000, mutedAt: first, mutedBy: USER_ID } });
  });

  it('unmutes with "off" and says so', async () => {
    const t = commandSetup();
    await stored(t);
    await t.run(`mute ${SUB_ID} 2h`);
    t.client.chat.postMessage.mockClear();
    await t.run(`mute ${SUB_ID} off`);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: null, mutedAt: null, mutedBy: null } });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(channelPost(`:bell: <@${USER_ID}> unmuted ${TARGET}.`));
    expect(t.info).toHaveBeenCalledWith({ subscriptionId: SUB_ID, channel: CHANNEL_ID, user: USER_ID, mutedUntil: null }, 'subscription unmuted');
  });
});

describe('Mute and Stop buttons', () => {
  type Args = Omit<SubscriptionButtonArgs, 'ack'> & { ack: jest.Mock };

  function buttonSetup(actionId: 'joblog_sub_mute' | 'joblog_sub_stop', value: string | undefined, options: { channelId?: string | null; userId?: string; home?: boolean } = {}) {
    const fakes = fakeDeps();
    const { client, webClient } = fullClient();
    const ack = fakeAck<void>();
    const respond = fakeRespond();
    const action = buttonAction(actionId, value, `joblog_sub:${value ?? ''}`);
    const body = blockActionBody(action, { channelId: options.home ? null : options.channelId, userId: options.userId });
    const withView = options.home ? ({ ...body, view: { id: 'V0HOME001', type: 'home' } as unknown as ViewOutput } as BlockAction<ButtonAction>) : body;
    const args: Args = { ack, body: withView, action, respond, client: webClient };
    fakes.watchService.listSubscriber.mockResolvedValue([]);
    return { ...fakes, client, ack, respond, args: args as unknown as SubscriptionButtonArgs };
  }

  it('Mute acks first, then mutes the subscription for 24 hours and says so in the channel', async () => {
    const t = buttonSetup('joblog_sub_mute', SUB_ID);
    await stored(t);
    await muteSubscriptionButton(t.args, t.deps);
    expect(callOrder({ ack: t.ack, post: t.client.chat.postMessage })).toEqual(['ack', 'post']);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: NOW + 86_400_000, mutedBy: USER_ID } });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(expect.objectContaining({ channel: CHANNEL_ID, text: expect.stringContaining(`:zzz: <@${USER_ID}> muted ${TARGET} until`) as string }));
  });

  it("Mute answers privately on another channel's message", async () => {
    const t = buttonSetup('joblog_sub_mute', SUB_ID, { channelId: OTHER_CHANNEL_ID });
    await stored(t);
    await muteSubscriptionButton(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(`No active subscription \`${SUB_ID}\` in this channel. \`/joblog list\` shows them.`));
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: null } });
  });

  it.each([
    ['no value', undefined],
    ['an empty value', ''],
    ['a value with spaces', 'sub 1'],
    ['a mention', '<@U1>'],
    ['a too long value', 'a'.repeat(65)],
  ])('Mute ignores %s with a log line', async (_what, value) => {
    const t = buttonSetup('joblog_sub_mute', value);
    await stored(t);
    await muteSubscriptionButton(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_sub_mute' }, 'ignoring a Mute button with an invalid value');
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ state: { mutedUntil: null } });
  });

  it('Stop acks first, then ends the subscription and says so in the channel', async () => {
    const t = buttonSetup('joblog_sub_stop', SUB_ID, { userId: BOB });
    await stored(t);
    await stopSubscriptionButton(t.args, t.deps);
    expect(callOrder({ ack: t.ack, post: t.client.chat.postMessage })).toEqual(['ack', 'post']);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'ended' });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(channelPost(`:no_bell: <@${BOB}> unsubscribed this channel from ${TARGET}.`));
    expect(t.client.views.publish).not.toHaveBeenCalled();
  });

  it('Stop ignores a junk value with a log line', async () => {
    const t = buttonSetup('joblog_sub_stop', 'x/y');
    await stored(t);
    await stopSubscriptionButton(t.args, t.deps);
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_sub_stop' }, 'ignoring a Stop button with an invalid value');
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'active' });
  });

  it("Stop on App Home ends the user's own subscription in its channel, then re-publishes Home with the rest", async () => {
    const t = buttonSetup('joblog_sub_stop', SUB_ID, { home: true });
    await stored(t);
    const other = await stored(t, { channelId: OTHER_CHANNEL_ID });
    await stopSubscriptionButton(t.args, t.deps);

    expect(callOrder({ ack: t.ack, post: t.client.chat.postMessage, publish: t.client.views.publish })).toEqual(['ack', 'post', 'publish']);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'ended' });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith(channelPost(`:no_bell: <@${USER_ID}> unsubscribed this channel from ${TARGET}.`));
    expect(t.respond).not.toHaveBeenCalled();
    const remaining = await t.subscriptionStore.getSubscription(other.id);
    expect(t.client.views.publish).toHaveBeenCalledWith({ user_id: USER_ID, view: renderHome([], NOW, 'en', { subscriptions: [remaining!], offsetMinutes: 480 }) });
    const view = (t.client.views.publish.mock.calls[0][0] as { view: { blocks: { block_id?: string }[] } }).view;
    expect(view.blocks.map((b) => b.block_id).filter((id) => id?.startsWith('joblog_home_sub:'))).toEqual([`joblog_home_sub:${other.id}`]);
  });

  it("Stop on App Home does nothing to another user's subscription", async () => {
    const t = buttonSetup('joblog_sub_stop', SUB_ID, { home: true, userId: BOB });
    await stored(t);
    await stopSubscriptionButton(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'active' });
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ subscriptionId: SUB_ID, user: BOB }, "ignoring a Stop button for a subscription that is not the user's");
  });

  it('Stop on App Home for an unknown id changes nothing', async () => {
    const t = buttonSetup('joblog_sub_stop', 'sub-999999', { home: true });
    await stored(t);
    await stopSubscriptionButton(t.args, t.deps);
    expect(await t.subscriptionStore.getSubscription(SUB_ID)).toMatchObject({ status: 'active' });
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
  });
});

describe('the subscribe modal', () => {
  const VIEW_ID = 'V0MODAL01';
  const METADATA = JSON.stringify({ c: CHANNEL_ID });

  function bizSetup(value: string | undefined, metadata: string = METADATA) {
    const fakes = fakeDeps();
    const { client, webClient } = fullClient();
    const ack = fakeAck<void>();
    const action = { type: 'plain_text_input', action_id: 'joblog_sub_biz_value', block_id: 'joblog_sub_biz', action_ts: '1718101800.1', value } as unknown as PlainTextInputAction;
    const body = { type: 'block_actions', user: { id: USER_ID }, view: { id: VIEW_ID, hash: 'h-1', private_metadata: metadata }, actions: [action] } as unknown as BlockAction<PlainTextInputAction>;
    const args = { ack, body, action, client: webClient } as unknown as BizEnteredArgs;
    return { ...fakes, client, ack, run: () => subscribeBizEntered(args, fakes.deps) };
  }

  it('adds the cron/plan menu once the business is entered', async () => {
    const t = bizSetup('3');
    await t.run();
    expect(callOrder({ ack: t.ack, update: t.client.views.update })).toEqual(['ack', 'update']);
    expect(t.client.views.update).toHaveBeenCalledWith({ view_id: VIEW_ID, hash: 'h-1', view: renderSubscribeModal('en', CHANNEL_ID, { bizId: 3 }, null) });
    const view = (t.client.views.update.mock.calls[0][0] as { view: { blocks: { block_id?: string }[] } }).view;
    expect(view.blocks.map((b) => b.block_id)).toContain('joblog_sub_target:3');
    expect(t.catalog.listCrons).not.toHaveBeenCalled();
  });

  it('shows the hint for a bad business, with no menu', async () => {
    const t = bizSetup('three');
    await t.run();
    expect(t.client.views.update).toHaveBeenCalledWith({ view_id: VIEW_ID, hash: 'h-1', view: renderSubscribeModal('en', CHANNEL_ID, null, 'Enter a business id (a whole number) or set:<id>.') });
  });

  it('shows the plain hint while the field is empty', async () => {
    const t = bizSetup('  ');
    await t.run();
    expect(t.client.views.update).toHaveBeenCalledWith({ view_id: VIEW_ID, hash: 'h-1', view: renderSubscribeModal('en', CHANNEL_ID, null, null) });
  });

  it('updates nothing for a view without its channel', async () => {
    const t = bizSetup('3', '{"c":"not a channel"}');
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.client.views.update).not.toHaveBeenCalled();
  });

  it('lets a newer update win (hash_conflict is not an error)', async () => {
    const t = bizSetup('3');
    t.client.views.update.mockRejectedValue(platformError('hash_conflict'));
    await expect(t.run()).resolves.toBeUndefined();
    expect(t.error).not.toHaveBeenCalled();
  });

  type Values = Record<string, Record<string, unknown>>;

  function submitSetup(values: Values, metadata: string = METADATA) {
    const fakes = fakeDeps();
    const { client, webClient } = fullClient();
    const ack = fakeAck<unknown>();
    const view = { id: VIEW_ID, callback_id: 'joblog_subscribe', private_metadata: metadata, state: { values } };
    const args = { ack, body: { type: 'view_submission', user: { id: USER_ID }, view }, view, client: webClient } as unknown as SubscribeSubmitArgs;
    return { ...fakes, client, ack, run: () => subscribeSubmitted(args, fakes.deps) };
  }

  const biz = (value: string | null) => ({ joblog_sub_biz: { joblog_sub_biz_value: { type: 'plain_text_input', value } } });
  const target = (blockId: string, value: string | null) => ({ [blockId]: { joblog_sub_target: { type: 'external_select', selected_option: value === null ? null : { text: { type: 'plain_text', text: 'x' }, value } } } });
  const notifyOn = (value: string) => ({ joblog_sub_on: { joblog_sub_on_value: { type: 'radio_buttons', selected_option: { text: { type: 'plain_text', text: 'x' }, value } } } });
  const digest = (time: string | null) => ({ joblog_sub_digest: { joblog_sub_digest_value: { type: 'timepicker', selected_time: time } } });

  it('keeps the modal open with an error when no cron or plan was picked', async () => {
    const t = submitSetup({ ...biz('3'), ...target('joblog_sub_target:3', null), ...notifyOn('failure'), ...digest(null) });
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith({ response_action: 'errors', errors: { 'joblog_sub_target:3': 'Pick a cron or a plan from the list.' } });
    expect(t.catalog.getCron).not.toHaveBeenCalled();
    expect(await t.subscriptionStore.listActiveSubscriptions()).toEqual([]);
  });

  it('puts the error on the business when there is no menu yet', async () => {
    const t = submitSetup({ ...biz('3') });
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ response_action: 'errors', errors: { joblog_sub_biz: 'Pick a cron or a plan from the list.' } });
  });

  it.each([
    ['a bad business', { ...biz('x'), ...target('joblog_sub_target:3', 'cron:12') }, METADATA],
    ['a view without its channel', { ...biz('3'), ...target('joblog_sub_target:3', 'cron:12') }, 'junk'],
  ])('refuses %s on the business field', async (_what, values, metadata) => {
    const t = submitSetup(values, metadata);
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ response_action: 'errors', errors: { joblog_sub_biz: 'Enter a business id (a whole number) or set:<id>.' } });
    expect(t.catalog.getCron).not.toHaveBeenCalled();
  });

  it('refuses a tampered menu value', async () => {
    const t = submitSetup({ ...biz('3'), ...target('joblog_sub_target:3', 'job:12') });
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ response_action: 'errors', errors: { 'joblog_sub_target:3': 'Pick a cron or a plan from the list.' } });
  });

  it('closes the modal (empty ack) first, then subscribes the channel it was opened in, as the command would', async () => {
    const t = submitSetup({ ...biz('3'), ...target('joblog_sub_target:3', 'cron:12'), ...notifyOn('all'), ...digest('09:00') });
    t.catalog.getCron.mockResolvedValue(CRON);
    await t.run();
    expect(callOrder({ ack: t.ack, getCron: t.catalog.getCron, post: t.client.chat.postMessage })).toEqual(['ack', 'getCron', 'post']);
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.catalog.getCron).toHaveBeenCalledWith(ACTOR, { bizId: 3 }, 12);
    const [sub] = await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID);
    expect(sub).toMatchObject({ id: SUB_ID, scope: { bizId: 3 }, target: { kind: 'cron', id: 12 }, subscriberId: USER_ID, notifyOn: 'all', digestAt: '09:00' });
    const confirmation = renderSubscribed(sub!, 'en', 480);
    expect(t.client.chat.postMessage).toHaveBeenCalledWith({ channel: CHANNEL_ID, text: confirmation.text, blocks: confirmation.blocks, unfurl_links: false, unfurl_media: false });
  });

  it('defaults to failures and no digest when those are left alone or tampered with', async () => {
    const t = submitSetup({ ...biz('set:8000001'), ...target('joblog_sub_target:set:8000001', 'plan:7'), ...notifyOn('everything'), ...digest('9am') });
    t.catalog.getJobPlan.mockResolvedValue(PLAN);
    await t.run();
    expect(await t.subscriptionStore.listSubscriptionsByChannel(CHANNEL_ID)).toMatchObject([{ scope: { bizId: 8000001, scopeType: 'biz_set' }, target: { kind: 'plan', id: 7 }, notifyOn: 'failure', digestAt: null }]);
  });

  it('answers a refusal privately in the channel (an ephemeral message: a modal has no response URL)', async () => {
    const t = submitSetup({ ...biz('3'), ...target('joblog_sub_target:3', 'cron:12') });
    t.catalog.getCron.mockResolvedValue(null);
    await t.run();
    const text = 'There is no cron #12 in business 3. Check the id in the JOB console (Cron jobs).';
    expect(t.client.chat.postEphemeral).toHaveBeenCalledWith({ channel: CHANNEL_ID, user: USER_ID, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it('answers in a DM when it cannot answer in the channel', async () => {
    const t = submitSetup({ ...biz('3'), ...target('joblog_sub_target:3', 'cron:12') });
    t.catalog.getCron.mockResolvedValue(null);
    t.client.chat.postEphemeral.mockRejectedValue(platformError('channel_not_found'));
    await t.run();
    const text = 'There is no cron #12 in business 3. Check the id in the JOB console (Cron jobs).';
    expect(t.client.conversations.open).toHaveBeenCalledWith({ users: USER_ID });
    expect(t.client.chat.postMessage).toHaveBeenCalledWith({ channel: DM_CHANNEL_ID, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  });
});

describe('the cron/plan menu (options)', () => {
  type OptionsAnswer = Parameters<TargetOptionsArgs['ack']>[0];

  function optionsSetup(blockId: string, value: string) {
    const fakes = fakeDeps();
    const ack = fakeAck<OptionsAnswer>();
    const body = { type: 'block_suggestion', block_id: blockId, action_id: 'joblog_sub_target', value, user: { id: USER_ID }, view: { id: 'V0MODAL01', private_metadata: JSON.stringify({ c: CHANNEL_ID }) } };
    const args = { ack, body } as unknown as TargetOptionsArgs;
    return { ...fakes, ack, run: () => subscribeTargetOptions(args, fakes.deps) };
  }

  it("answers the business's crons and plans whose name contains what was typed, read as the user", async () => {
    const t = optionsSetup('joblog_sub_target:3', ' back ');
    t.catalog.listCrons.mockResolvedValue({ items: [CRON], total: 1 });
    t.catalog.listJobPlans.mockResolvedValue({ items: [PLAN], total: 1 });
    await t.run();
    expect(t.catalog.listCrons).toHaveBeenCalledWith(ACTOR, { bizId: 3 }, { name: 'back', start: 0, length: 50 });
    expect(t.catalog.listJobPlans).toHaveBeenCalledWith(ACTOR, { bizId: 3 }, { name: 'back', start: 0, length: 50 });
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith(renderTargetOptions([CRON], [PLAN], 'en'));
    expect(t.ack).toHaveBeenCalledWith({
      option_groups: [
        { label: { type: 'plain_text', text: 'Cron' }, options: [{ text: { type: 'plain_text', text: 'nightly-backup (#12) · 0 3 * * *' }, value: 'cron:12' }] },
        { label: { type: 'plain_text', text: 'Plan' }, options: [{ text: { type: 'plain_text', text: 'backup all (#7)' }, value: 'plan:7' }] },
      ],
    });
  });

  it('lists without a name filter when nothing was typed, in a business set', async () => {
    const t = optionsSetup('joblog_sub_target:set:8000001', '');
    t.catalog.listCrons.mockResolvedValue({ items: [], total: 0 });
    t.catalog.listJobPlans.mockResolvedValue({ items: [], total: 0 });
    await t.run();
    expect(t.catalog.listCrons).toHaveBeenCalledWith(ACTOR, { bizId: 8000001, scopeType: 'biz_set' }, { start: 0, length: 50 });
    expect(t.ack).toHaveBeenCalledWith({ option_groups: [] });
  });

  it.each(['joblog_sub_target:', 'joblog_sub_target:x', 'joblog_hosts:3:1', 'junk', ''])('answers an empty list for the block id %j without asking JOB', async (blockId) => {
    const t = optionsSetup(blockId, 'back');
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
    expect(t.catalog.listCrons).not.toHaveBeenCalled();
    expect(t.resolveActor).not.toHaveBeenCalled();
  });

  it('answers an empty list to an unmapped user, asking JOB nothing', async () => {
    const t = optionsSetup('joblog_sub_target:3', 'back');
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'not_found', email: 'eve@corp.com' } });
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
    expect(t.catalog.listCrons).not.toHaveBeenCalled();
    expect(t.catalog.listJobPlans).not.toHaveBeenCalled();
  });

  it('answers an empty list when JOB fails, with a log line', async () => {
    const t = optionsSetup('joblog_sub_target:3', 'back');
    t.catalog.listCrons.mockRejectedValue(new BkJobError('timeout', { kind: 'network' }));
    t.catalog.listJobPlans.mockResolvedValue({ items: [PLAN], total: 1 });
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ bizId: 3 }), 'could not list crons and plans for the subscribe menu');
  });

  it("answers an empty list, once, when JOB is slower than Slack's 3 s", async () => {
    jest.useFakeTimers();
    try {
      const t = optionsSetup('joblog_sub_target:3', 'back');
      t.catalog.listCrons.mockReturnValue(new Promise((resolve) => setTimeout(() => resolve({ items: [CRON], total: 1 }), 4000)));
      t.catalog.listJobPlans.mockResolvedValue({ items: [], total: 0 });
      const done = t.run();
      await jest.advanceTimersByTimeAsync(5000);
      await done;
      expect(t.ack).toHaveBeenCalledTimes(1);
      expect(t.ack).toHaveBeenCalledWith({ options: [] });
    } finally {
      jest.useRealTimers();
    }
  });
});
