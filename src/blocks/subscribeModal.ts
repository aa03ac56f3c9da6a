/**
 * Pure: the subscribe modal (`/joblog subscribe` alone). First the business; once entered, a
 * type-to-search menu of that business's crons and plans (its block id carries the business, so
 * the options request knows where to search), what to be told about, and an optional digest time.
 */
import type { KnownBlock, ModalView, Option, PlainTextOption } from '@slack/types';
import { scopeText } from '../bkjob/model';
import type { CronInfo, JobPlanInfo } from '../bkjob/catalog';
import type { Lang } from '../i18n';
import { subscriptionMessages } from '../i18n/subscriptionMessages';
import type { SubscriptionKind, SubscriptionScope } from '../watch/subscriptionTypes';
import { NOTIFY_ON_VALUES, type NotifyOn } from '../watch/types';
import { ACTION } from './actions';
import { LIMITS, truncate } from './text';

export const SUBSCRIBE_VIEW = 'joblog_subscribe';
export const SUBSCRIBE_BLOCKS = {
  biz: 'joblog_sub_biz',
  targetPrefix: 'joblog_sub_target:',
  notifyOn: 'joblog_sub_on',
  digest: 'joblog_sub_digest',
} as const;
export const SUBSCRIBE_ACTIONS = {
  biz: 'joblog_sub_biz_value',
  notifyOn: 'joblog_sub_on_value',
  digest: 'joblog_sub_digest_value',
} as const;

/** The modal remembers the channel it was opened in (Slack gives a modal no channel of its own). */
export function encodeModalMetadata(channelId: string): string {
  return JSON.stringify({ c: channelId });
}

export function decodeModalMetadata(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  try {
    const value: unknown = JSON.parse(text);
    const channel = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['c'] : undefined;
    return typeof channel === 'string' && /^[CDG][A-Z0-9]{2,}$/.test(channel) ? channel : null;
  } catch {
    return null;
  }
}

/** `3` or `set:5` as typed in the modal; null when it is neither. */
export function parseModalScope(text: unknown): SubscriptionScope | null {
  if (typeof text !== 'string') return null;
  const match = /^\s*(set:)?(\d{1,10})\s*$/i.exec(text);
  if (!match) return null;
  const bizId = Number(match[2]);
  if (bizId < 1 || bizId > 2_147_483_647) return null;
  return match[1] ? { bizId, scopeType: 'biz_set' } : { bizId };
}

export function targetBlockScope(blockId: unknown): SubscriptionScope | null {
  return typeof blockId === 'string' && blockId.startsWith(SUBSCRIBE_BLOCKS.targetPrefix) ? parseModalScope(blockId.slice(SUBSCRIBE_BLOCKS.targetPrefix.length)) : null;
}

export function renderSubscribeModal(lang: Lang, channelId: string, scope: SubscriptionScope | null, problem: string | null = null): ModalView {
  const s = subscriptionMessages(lang);
  const blocks: KnownBlock[] = [
    { type: 'context', elements: [{ type: 'mrkdwn', text: s.modalChannelNote(`<#${channelId}>`) }] },
    {
      type: 'input',
      block_id: SUBSCRIBE_BLOCKS.biz,
      dispatch_action: true,
      label: { type: 'plain_text', text: s.modalBusiness },
      hint: { type: 'plain_text', text: problem ?? s.modalBusinessHint },
      element: {
        type: 'plain_text_input',
        action_id: SUBSCRIBE_ACTIONS.biz,
        ...(scope ? { initial_value: scopeText(scope) } : {}),
        dispatch_action_config: { trigger_actions_on: ['on_enter_pressed', 'on_character_entered'] },
      },
    },
  ];
  if (scope) {
    blocks.push(
      {
        type: 'input',
        block_id: `${SUBSCRIBE_BLOCKS.targetPrefix}${scopeText(scope)}`,
        label: { type: 'plain_text', text: s.modalTarget },
        element: { type: 'external_select', action_id: ACTION.subscribeTarget, min_query_length: 0, placeholder: { type: 'plain_text', text: s.modalTargetPlaceholder } },
      },
      {
        type: 'input',
        block_id: SUBSCRIBE_BLOCKS.notifyOn,
        label: { type: 'plain_text', text: s.modalNotifyOn },
        element: {
          type: 'radio_buttons',
          action_id: SUBSCRIBE_ACTIONS.notifyOn,
          initial_option: notifyOption(lang, 'failure'),
          options: NOTIFY_ON_VALUES.map((value) => notifyOption(lang, value)),
        },
      },
      {
        type: 'input',
        block_id: SUBSCRIBE_BLOCKS.digest,
        optional: true,
        label: { type: 'plain_text', text: lang === 'zh-CN' ? '每日摘要（可选）' : 'Daily digest (optional)' },
        element: { type: 'timepicker', action_id: SUBSCRIBE_ACTIONS.digest },
      },
    );
  }
  return {
    type: 'modal',
    callback_id: SUBSCRIBE_VIEW,
    private_metadata: encodeModalMetadata(channelId),
    title: { type: 'plain_text', text: s.modalTitle },
    ...(scope ? { submit: { type: 'plain_text' as const, text: s.modalSubmit } } : {}),
    close: { type: 'plain_text', text: lang === 'zh-CN' ? '取消' : 'Cancel' },
    blocks,
  };
}

function notifyOption(lang: Lang, value: NotifyOn): PlainTextOption {
  return { text: { type: 'plain_text', text: subscriptionMessages(lang).notifyOnChoice[value] }, value };
}

/** Menu values: `cron:12`, `plan:5`. */
export function encodeTargetValue(kind: SubscriptionKind, id: number): string {
  return `${kind}:${id}`;
}

export function decodeTargetValue(value: unknown): { readonly kind: SubscriptionKind; readonly id: number } | null {
  if (typeof value !== 'string') return null;
  const match = /^(cron|plan):(\d{1,16})$/.exec(value);
  if (!match) return null;
  const id = Number(match[2]);
  return Number.isSafeInteger(id) && id > 0 ? { kind: match[1] as SubscriptionKind, id } : null;
}

/** External selects take at most 100 options in all. */
const MAX_OPTIONS = 100;

/** The menu's options, crons then plans, each `name (#id)`; names are plain text (Slack shows them as typed). */
export function renderTargetOptions(crons: readonly CronInfo[], plans: readonly JobPlanInfo[], lang: Lang): { option_groups: { label: { type: 'plain_text'; text: string }; options: Option[] }[] } {
  const s = subscriptionMessages(lang);
  const option = (kind: SubscriptionKind, id: number, name: string, note: string): Option => ({
    text: { type: 'plain_text', text: truncate(`${name} (#${id})${note}`, LIMITS.optionText) },
    value: encodeTargetValue(kind, id),
  });
  const cronOptions = crons.slice(0, MAX_OPTIONS / 2).map((c) => option('cron', c.id, c.name, c.expression ? ` · ${c.expression}` : ''));
  const planOptions = plans.slice(0, MAX_OPTIONS - cronOptions.length).map((p) => option('plan', p.id, p.name, ''));
  const groups = [
    { label: { type: 'plain_text' as const, text: s.kindLabel.cron }, options: cronOptions },
    { label: { type: 'plain_text' as const, text: s.kindLabel.plan }, options: planOptions },
  ];
  return { option_groups: groups.filter((g) => g.options.length > 0) };
}
